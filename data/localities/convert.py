#!/usr/bin/env python3
"""Regenerate the Vietnamese administrative-unit CSV files in this folder.

Source: the PyPI package ``vietnam-provinces`` (import name ``vietnam_provinces``),
which carries the National Statistics Office (NSO/GSO) lists:

* 2025 scheme (2 levels: province -> commune), ``vietnam_provinces.Province`` / ``Ward``;
* pre-2025 scheme (3 levels: province -> district -> commune), ``vietnam_provinces.legacy``;
* the NSO old-commune -> new-commune conversion table, ``vietnam_provinces._ward_conversion_2025``.

Uses only the standard library and that package. It needs Python >= 3.12
(the package's own requirement). See SOURCE.md for the exact commands.

Usage:  python convert.py [OUTPUT_DIR]      (default: the folder this script is in)

The script writes 2025.csv, 2020.csv, mapping_2020_2025.csv and cccd_provinces.csv,
checks them (parents exist, no duplicate codes, NFC text, name prefix matches the
kind, expected counts) and prints the counts. It exits non-zero if a check fails.
"""

from __future__ import annotations

import csv
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import vietnam_provinces
from vietnam_provinces import Province, Ward
from vietnam_provinces import legacy
from vietnam_provinces import _ward_conversion_2025 as ward_conversion

# Package division type (str value of the package's VietNamDivisionType) -> our kind,
# plus the prefix the official name must start with.
KINDS_2025 = {
    'tỉnh': ('tinh', 'Tỉnh '),
    'thành phố trung ương': ('thanh_pho', 'Thành phố '),
    'xã': ('xa', 'Xã '),
    'phường': ('phuong', 'Phường '),
    'đặc khu': ('dac_khu', 'Đặc khu '),
}
KINDS_2020 = {
    'tỉnh': ('tinh', 'Tỉnh '),
    'thành phố trung ương': ('thanh_pho', 'Thành phố '),
    'huyện': ('huyen', 'Huyện '),
    'quận': ('quan', 'Quận '),
    'thị xã': ('thi_xa', 'Thị xã '),
    # District-level city. This also covers the two "thành phố thuộc thành phố trực
    # thuộc trung ương" (Thủ Đức, Thủy Nguyên): the package does not tell them apart.
    'thành phố': ('thanh_pho_thuoc_tinh', 'Thành phố '),
    'xã': ('xa', 'Xã '),
    'phường': ('phuong', 'Phường '),
    'thị trấn': ('thi_tran', 'Thị trấn '),
}
LEVEL = {  # sort order: provinces, then districts, then communes; by code within a level
    'tinh': 0, 'thanh_pho': 0,
    'huyen': 1, 'quan': 1, 'thi_xa': 1, 'thanh_pho_thuoc_tinh': 1,
    'xa': 2, 'phuong': 2, 'thi_tran': 2, 'dac_khu': 2,
}

HEADER = ['code', 'name', 'kind', 'parent_code']
fixes: list[str] = []
errors: list[str] = []


def clean_name(raw: str, division_type: str, table: dict) -> tuple[str, str]:
    """NFC-normalise a name and return (name, kind).

    The only edit besides NFC and trimming: if the name starts with its official
    prefix in the wrong letter case (e.g. 'xã Bắc Sơn', 'Thành Phố Đồng Hới'),
    the prefix is rewritten in its standard case. Every such fix is printed.
    """
    kind, prefix = table[str(division_type)]
    name = unicodedata.normalize('NFC', raw).strip()
    if not name.startswith(prefix):
        if name.lower().startswith(prefix.lower()):
            fixed = prefix + name[len(prefix):]
            fixes.append(f'{raw!r} -> {fixed!r}')
            name = fixed
        else:
            errors.append(f'name {raw!r} does not start with {prefix!r} ({division_type})')
    return name, kind


def code(value: int, width: int) -> str:
    return f'{int(value):0{width}d}'


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open('w', encoding='utf-8', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(header)
        w.writerows(rows)


def build_2025() -> list[list[str]]:
    rows = []
    for p in Province.iter_all():
        name, kind = clean_name(p.name, p.division_type, KINDS_2025)
        rows.append([code(p.code, 2), name, kind, ''])
    for w in Ward.iter_all():
        name, kind = clean_name(w.name, w.division_type, KINDS_2025)
        rows.append([code(w.code, 5), name, kind, code(w.province_code, 2)])
    rows.sort(key=lambda r: (LEVEL[r[2]], r[0]))
    return rows


def build_2020() -> list[list[str]]:
    rows = []
    for p in legacy.Province.iter_all():
        name, kind = clean_name(p.name, p.division_type, KINDS_2020)
        rows.append([code(p.code, 2), name, kind, ''])
    for d in legacy.District.iter_all():
        name, kind = clean_name(d.name, d.division_type, KINDS_2020)
        rows.append([code(d.code, 3), name, kind, code(d.province_code, 2)])
    for w in legacy.Ward.iter_all():
        name, kind = clean_name(w.name, w.division_type, KINDS_2020)
        rows.append([code(w.code, 5), name, kind, code(w.district_code, 3)])
    rows.sort(key=lambda r: (LEVEL[r[2]], r[0]))
    return rows


def build_mapping() -> list[list[str]]:
    pairs = set()
    for old_code, entry in ward_conversion.OLD_TO_NEW.items():
        if int(entry.old_ward.code) != int(old_code):
            errors.append(f'mapping key {old_code} != old_ward.code {entry.old_ward.code}')
        for new in entry.new_wards:
            pairs.add((code(old_code, 5), code(new.code, 5)))
    return sorted([list(p) for p in pairs])


def build_cccd(rows_2020: list[list[str]]) -> list[list[str]]:
    # CCCD prefix = '0' + the 2-digit NSO code of a pre-2025 (63-province) province.
    return [['0' + r[0], r[1]] for r in rows_2020 if r[3] == '']


def check_units(label: str, rows: list[list[str]]) -> Counter:
    codes = [r[0] for r in rows]
    dup = [c for c, n in Counter(codes).items() if n > 1]
    if dup:
        errors.append(f'{label}: duplicate codes {dup[:10]}')
    known = set(codes)
    kind_of = {r[0]: r[2] for r in rows}
    for c, name, kind, parent in rows:
        if not c.isdigit():
            errors.append(f'{label}: non-numeric code {c!r}')
        if LEVEL[kind] == 0:
            if parent:
                errors.append(f'{label}: province {c} has a parent')
        elif parent not in known:
            errors.append(f'{label}: {c} parent {parent!r} missing')
        elif LEVEL[kind_of[parent]] != LEVEL[kind] - (1 if label == '2020.csv' else 2):
            errors.append(f'{label}: {c} ({kind}) has parent {parent} of kind {kind_of[parent]}')
        for s in (c, name, kind, parent):
            if not unicodedata.is_normalized('NFC', s):
                errors.append(f'{label}: not NFC: {s!r}')
    return Counter(r[2] for r in rows)


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)

    rows_2025 = build_2025()
    rows_2020 = build_2020()
    mapping = build_mapping()
    cccd = build_cccd(rows_2020)

    k25 = check_units('2025.csv', rows_2025)
    k20 = check_units('2020.csv', rows_2020)

    # Mapping: report (do not drop) codes absent from the unit files.
    old_communes = {r[0] for r in rows_2020 if LEVEL[r[2]] == 2}
    new_communes = {r[0] for r in rows_2025 if LEVEL[r[2]] == 2}
    map_old = {o for o, _ in mapping}
    map_new = {n for _, n in mapping}
    old_missing = sorted(map_old - old_communes)
    new_missing = sorted(map_new - new_communes)
    if new_missing:
        errors.append(f'mapping: new codes not in 2025.csv: {new_missing}')

    # CCCD checks.
    if len(cccd) != 63:
        errors.append(f'cccd_provinces.csv: {len(cccd)} rows, expected 63')
    if [c[0][1:] for c in cccd] != [r[0] for r in rows_2020 if r[3] == '']:
        errors.append('cccd_provinces.csv does not match the provinces of 2020.csv')
    if any(len(c[0]) != 3 or not c[0].startswith('0') for c in cccd):
        errors.append('cccd_provinces.csv: malformed code')

    write_csv(out / '2025.csv', HEADER, rows_2025)
    write_csv(out / '2020.csv', HEADER, rows_2020)
    write_csv(out / 'mapping_2020_2025.csv', ['old_commune_code', 'new_commune_code'], mapping)
    write_csv(out / 'cccd_provinces.csv', ['code', 'name'], cccd)

    print(f'vietnam-provinces {vietnam_provinces.__version__} (data retrieved {vietnam_provinces.__data_version__})')
    print(f'2025.csv: {len(rows_2025)} rows; provinces {k25["tinh"] + k25["thanh_pho"]}, '
          f'communes {k25["xa"] + k25["phuong"] + k25["dac_khu"]}; {dict(sorted(k25.items()))}')
    print(f'2020.csv: {len(rows_2020)} rows; provinces {k20["tinh"] + k20["thanh_pho"]}, '
          f'districts {k20["huyen"] + k20["quan"] + k20["thi_xa"] + k20["thanh_pho_thuoc_tinh"]}, '
          f'communes {k20["xa"] + k20["phuong"] + k20["thi_tran"]}; {dict(sorted(k20.items()))}')
    print(f'mapping_2020_2025.csv: {len(mapping)} pairs, {len(map_old)} old communes -> {len(map_new)} new communes '
          f'(source table: {ward_conversion.SOURCE}, effective {ward_conversion.EFFECTIVE_DATE})')
    print(f'  old codes in mapping but not in 2020.csv: {len(old_missing)} {old_missing}')
    print(f'  2020.csv communes without a mapping row: {sorted(old_communes - map_old)}')
    print(f'  2025.csv communes without a mapping row: {sorted(new_communes - map_new)}')
    print(f'cccd_provinces.csv: {len(cccd)} rows')
    for f in fixes:
        print(f'  prefix case fixed: {f}')
    for e in errors:
        print(f'ERROR: {e}', file=sys.stderr)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
