//! The Vietnamese texts (the default language).

use cuocthi_domain::identity::Field;
use cuocthi_domain::{text, vntime};

use super::{FeedbackTexts, PrivacyTexts, Texts, vn};

pub const VI: Texts = Texts {
    lang: "vi",
    og_locale: "vi_VN",
    switch_label: "English",
    switch_lang: "en",
    switch_href: "?lang=en",
    site: "Cuộc thi trực tuyến",
    skip: "Bỏ qua đến nội dung chính",
    footer: "Thời gian hiển thị theo giờ Việt Nam (UTC+7).",
    results_heading: "Kết quả",
    results_none: "Ban Tổ chức chưa công bố kết quả.",
    results_published: "Công bố lúc",
    results_participants: "Số người được xếp hạng",
    results_figure: "Con số thực tế của câu hỏi dự đoán",
    col_rank: "Hạng",
    col_name: "Họ và tên",
    col_unit: "Đơn vị",
    col_locality: "Địa bàn",
    col_correct: "Số câu đúng",
    col_time: "Thời gian",
    col_prize: "Giải",
    certificate: "Giấy chứng nhận",
    certificate_genuine: "Giấy chứng nhận hợp lệ",
    certificate_genuine_text: "Giấy chứng nhận số này do hệ thống cấp theo kết quả đã công bố:",
    certificate_superseded: "Lưu ý: sau giấy chứng nhận này, Ban Tổ chức đã công bố một phiên bản kết quả mới. Hãy xem danh sách đoạt giải hiện hành trên trang kết quả.",
    results_version: |v| format!("phiên bản {v}"),
    lookup_heading: "Tra cứu thứ hạng của bạn",
    lookup_intro: "Nhập số định danh và ngày sinh đã khai khi đăng ký dự thi. Thông tin này không được lưu lại hay hiển thị cho người khác.",
    lookup_submit: "Tra cứu",
    lookup_not_ranked: "Bạn không có tên trong bảng xếp hạng này.",
    lookup_place: |place, of| format!("Hạng {} trên {} người", place, text::thousands(*of)),
    certificate_download: "Tải giấy chứng nhận (PDF)",
    see_results: "Xem kết quả",
    vn_time: "giờ Việt Nam",

    home_heading: "Các cuộc thi trực tuyến",
    open_now: "Đang diễn ra",
    open_none: "Hiện chưa có cuộc thi nào đang mở.",
    upcoming: "Sắp diễn ra",
    upcoming_none: "Chưa có cuộc thi nào sắp mở.",
    closed: "Đã kết thúc",
    closed_none: "Chưa có cuộc thi nào đã kết thúc.",
    from: "Từ",
    to: "đến",

    organiser: "Đơn vị tổ chức",
    hello: "Xin chào",
    sign_out: "Đăng xuất",
    people: "Số người tham gia",
    attempts: "Số lượt tham gia",
    register: "Đăng ký dự thi",
    registered_before: "Đã đăng ký trước đây?",
    sign_in_with_id: "Đăng nhập bằng số giấy tờ và ngày sinh",
    your_attempts: "Bài thi của bạn",
    prizes: "Cơ cấu giải thưởng",
    audience: "Đối tượng dự thi",
    rules: "Thể lệ",
    materials: "Tài liệu tham khảo",
    download: "Tải về",
    continue_attempt: "Tiếp tục làm bài",
    share: "Chia sẻ cuộc thi",
    share_facebook: "Chia sẻ lên Facebook",
    share_link: "Liên kết để gửi qua Zalo, tin nhắn hoặc thư điện tử",
    embed: "Nhúng vào cổng thông tin",
    embed_note: "Dành cho Ban Tổ chức và các cổng thông tin: sao chép đoạn mã và dán vào trang. Khung nhúng chỉ hiển thị trên các trang web được Ban Tổ chức cho phép.",
    embed_iframe: "Khung nhúng (iframe)",
    embed_banner: "Liên kết dạng băng rôn",
    banner_cta: "Tham gia ngay",
    start: "Vào thi",
    a_participant: "người dự thi",
    between_rounds: "Cuộc thi đang giữa hai đợt thi.",
    min_age: |age| format!("Người dự thi từ đủ {age} tuổi trở lên."),
    attempt_again: |n| format!("Thi lượt {n}"),
    round_upcoming: |at| format!("Đợt thi chưa mở. Thời gian mở: {}.", vntime::format_long(at)),
    round_closed: |at| format!("Đợt thi đã kết thúc lúc {}.", vntime::format_long(at)),
    contest_upcoming: |at| format!("Cuộc thi chưa mở. Thời gian mở: {}.", vntime::format_long(at)),
    contest_closed: |at| format!("Cuộc thi đã kết thúc lúc {}.", vntime::format_long(at)),
    contest_open_until: |at| format!("Cuộc thi đang diễn ra đến {}.", vntime::format_long(at)),
    window: |a, b| format!("Từ {} đến {}", vntime::format_long(a), vntime::format_long(b)),
    facts: |q, min, n| {
        format!("{q} câu hỏi, thời gian làm bài tối đa {min} phút, mỗi người được thi tối đa {n:02} lượt.")
    },
    prize: |name, count, amount| {
        if amount > 0 {
            format!("{name}: {count} giải, mỗi giải {}", text::vnd(amount))
        } else {
            format!("{name}: {count} giải")
        }
    },
    attempt_line: |seq, correct, questions, ms| {
        format!("Lượt {seq}: {correct}/{questions} câu đúng, {}", text::duration(ms))
    },
    og_description: |summary, first, last| {
        format!(
            "{summary} Thời gian: từ {} đến {} (giờ Việt Nam).",
            vntime::format_long(first),
            vntime::format_long(last)
        )
    },

    choose: "– Chọn –",
    consent_1: "Thông tin trên được",
    consent_2: "sử dụng để tổ chức cuộc thi: xác minh người dự thi, chấm điểm, xếp giải, trao giải và thống kê số người tham gia. Dữ liệu được lưu trữ trong",
    retention: "12 tháng kể từ ngày công bố kết quả cuộc thi",
    consent_3: ", sau đó được xóa; người dự thi có quyền xem, sửa và yêu cầu xóa dữ liệu của mình theo Luật Bảo vệ dữ liệu cá nhân.",
    agree_1: "Tôi đồng ý cho",
    agree_2: "xử lý dữ liệu cá nhân của tôi cho mục đích nêu trên.",
    register_continue: "Đăng ký và tiếp tục",
    sign_in: "Đăng nhập",
    sign_in_heading: "Đăng nhập dự thi",
    not_registered: "Chưa đăng ký?",
    back_to_contest: "Quay lại trang cuộc thi",
    field: Field::label,
    hint: |f| match f {
        Field::FullName => "Viết đầy đủ, có dấu, ví dụ: Nguyễn Văn An.",
        Field::DateOfBirth => "Ngày/tháng/năm, ví dụ: 02/09/1995.",
        Field::Cccd => "12 chữ số trên thẻ căn cước.",
        Field::Phone => "10 chữ số, ví dụ: 0912 345 678.",
        Field::Locality => "Xã, phường, thị trấn nơi bạn cư trú.",
        _ => "",
    },
    identify_intro: |key| {
        format!(
            "Nếu đã đăng ký, hãy nhập thông tin đã khai khi đăng ký ({key} và ngày sinh) để tiếp tục thi hoặc xem kết quả."
        )
    },
    please_enter: |what| format!("Vui lòng nhập {}.", what.to_lowercase()),

    attempt: "Bài thi",
    time_left: "Thời gian còn lại",
    question: "Câu",
    saved: "Đã lưu",
    unanswered: "Chưa trả lời",
    tiebreak: "Câu hỏi dự đoán.",
    prediction_label: "Số dự đoán của bạn (số nguyên, ví dụ 12500)",
    save_answers: "Lưu câu trả lời",
    submit: "Nộp bài",
    kept_note: "Câu trả lời đã lưu được giữ nếu bạn tải lại trang hoặc mở trên thiết bị khác.",
    see_rules: "Xem thể lệ cuộc thi",
    bad_prediction: "Số dự đoán chưa hợp lệ: hãy nhập một số nguyên không âm, ví dụ 12500.",
    attempt_intro: |seq, total, deadline| {
        format!("Lượt thi thứ {seq}: {total} câu hỏi. Hạn nộp bài: {deadline} (giờ Việt Nam).")
    },
    answered: |n, total| format!("Đã trả lời {n}/{total}"),
    nojs_note: |left| {
        format!(
            "Khi tải trang, thời gian làm bài còn lại là {left}. Câu trả lời được lưu khi bạn bấm “Lưu câu trả lời” hoặc “Nộp bài”."
        )
    },
    js_saved_at_once: "Câu trả lời được lưu ngay khi bạn chọn.",
    js_saving: "Đang lưu…",
    js_answered: "Đã trả lời {n}/{total}",
    js_expired: "Chưa lưu — phiên đăng nhập đã hết hạn; hãy đăng nhập lại.",
    js_invalid: "Chưa lưu — câu trả lời không hợp lệ.",
    js_retrying: "Chưa lưu — đang thử lại",
    js_bad_prediction: "Hãy nhập một số nguyên không âm, ví dụ 12500.",
    js_confirm_left: "Bạn còn {n} câu chưa trả lời. Bạn có chắc muốn nộp bài?",
    js_confirm_all: "Bạn đã trả lời đủ {n} câu. Nộp bài ngay?",
    js_time_up: "Đã hết thời gian làm bài. Bài thi được nộp với các câu trả lời đã lưu.",
    js_five_minutes: "Còn 5 phút làm bài.",
    js_one_minute: "Còn 1 phút làm bài.",
    layout: "Cách hiển thị:",
    one_per_screen: "Từng câu một",
    all_questions: "Tất cả các câu",
    js_prev: "‹ Câu trước",
    js_next: "Câu sau ›",
    js_flag: "Đánh dấu để xem lại",
    js_map: "Danh sách câu hỏi",
    js_flagged: "đã đánh dấu",

    confirm_heading: "Xác nhận nộp bài",
    you_have: "Bạn còn",
    back_to_attempt: "Quay lại làm tiếp",
    all_answered: |total| format!("Bạn đã trả lời đủ {total}/{total} câu hỏi."),
    left_of: |total| format!("câu chưa trả lời (trong tổng số {total} câu): câu"),
    confirm_note: |left| format!("Thời gian làm bài còn lại: {left}. Sau khi nộp, bạn không thể sửa câu trả lời."),
    result_heading: "Kết quả bài thi",
    correct_answers: "Số câu trả lời đúng",
    time_taken: "Thời gian làm bài",
    submitted_at: "Nộp bài lúc",
    prediction: "Số dự đoán",
    attempts_left: "Số lượt thi còn lại",
    auto_submitted: "Hết giờ: bài của bạn đã được nộp tự động với các câu đã lưu.",
    to_contest: "Về trang cuộc thi",
    key_heading: "Đáp án và giải thích",
    right: "(Đúng)",
    wrong: "(Chưa đúng)",
    correct_mark: "– đáp án đúng",
    you_chose: "(bạn chọn)",
    key_later: "Đáp án được công bố sau khi đợt thi kết thúc (nếu Ban Tổ chức cho phép).",
    attempt_no: |seq| format!("lượt thi thứ {seq}"),

    error_heading: "Không thực hiện được yêu cầu",
    home: "Về trang chủ",
    home_to_choose: "Về trang chủ để chọn cuộc thi",

    duration: text::duration,
    at_seconds: |at| vn(at, "%H:%M:%S ngày %d/%m/%Y"),
    filter_list: "Gõ để tìm trong danh sách",
    opens_in: "Đợt thi mở sau",
    closes_in: "Đợt thi kết thúc sau",
    countdown_units: "ngày,giờ,phút,giây",

    date_does_not_exist: |d| format!("Ngày {d} không tồn tại; hãy kiểm tra lại ngày, tháng và năm."),
    identify_no_match: "Không tìm thấy đăng ký nào có số giấy tờ và ngày sinh này. Hãy kiểm tra lại hai thông tin đã nhập; nếu chưa đăng ký, hãy đăng ký dự thi.",
    answered_label: "Số câu đã trả lời",
    registration_closed: "Cuộc thi đã kết thúc nên không nhận đăng ký mới.",
    running_attempt: "Bạn có bài thi đang làm dở",
    col_prediction: "Số dự đoán",
    col_distance: "Chênh lệch dự đoán",
    practice_note: "Đây là cuộc thi thử, không xét giải: câu hỏi dự đoán trong bài chỉ để bạn làm quen với cách thi.",
    col_submitted: "Nộp bài lúc",
    results_collective: "Giải tập thể",
    results_structure_adjusted: |why| format!("Cơ cấu giải do Hội đồng điều chỉnh: {why}"),
    results_order: "Xếp hạng lần lượt theo các cột",
    col_team: "Đội thi",
    col_members: "Thành viên",
    col_collective: "Tập thể",
    col_achievement: "Thành tích",
    col_adjustments: "Cộng/trừ",
    col_total: "Tổng điểm",
    col_participants: "Người tham gia",
    col_rate: "Tỷ lệ",
    results_tie_breaks: "Bằng điểm thì xét lần lượt",
};

pub static FEEDBACK_VI: FeedbackTexts = FeedbackTexts {
    summary: "Góp ý / báo lỗi câu hỏi",
    label: "Nội dung góp ý (tối đa 1.000 ký tự)",
    send: "Gửi góp ý",
    sent: "Đã gửi góp ý",
    sent_notice: |n| {
        format!("Đã gửi góp ý về câu {n}. Ban Tổ chức sẽ xem xét và trả lời tại trang kết quả bài thi của bạn.")
    },
    heading: "Góp ý về câu hỏi",
    intro: "Nếu thấy câu hỏi có sai sót, bạn có thể góp ý để Ban Tổ chức xem xét (mỗi câu hỏi một lần).",
    your_report: "Góp ý của bạn:",
    reply: "Trả lời của Ban Tổ chức:",
    waiting: "Ban Tổ chức chưa trả lời góp ý này.",
    award: "Câu hỏi đã bị hủy: mọi người được hỏi câu này đều được tính đúng.",
    drop: "Câu hỏi đã bị hủy: câu này không được tính điểm.",
    not_scored: "Không tính điểm",
};

pub static PRIVACY_VI: PrivacyTexts = PrivacyTexts {
    heading: "Dữ liệu cá nhân của tôi",
    intro: |key| {
        format!(
            "Theo Luật Bảo vệ dữ liệu cá nhân, bạn có quyền xem, tải về, yêu cầu sửa dữ liệu cá nhân mà Ban Tổ chức \
             lưu về bạn, rút lại sự đồng ý và yêu cầu xóa dữ liệu. Để bảo đảm chỉ bạn xem được, hãy nhập {} và ngày \
             sinh đã khai khi đăng ký.",
            key.to_lowercase()
        )
    },
    show: "Xem dữ liệu của tôi",
    stored: "Thông tin đang được lưu",
    purged: |at| {
        format!(
            "Dữ liệu cá nhân của bạn đã được xóa lúc {at} (giờ Việt Nam); kết quả thi chỉ còn lưu dưới dạng ẩn danh."
        )
    },
    retention: "Thời hạn lưu trữ",
    removal_due: "Dữ liệu được xóa từ ngày",
    registered: "Thời điểm đăng ký",
    consent: "Phiên bản nội dung đồng ý",
    complete: "Đủ thông tin để xét giải",
    attempts: "Các lượt thi",
    col_round: "Đợt thi",
    col_attempt: "Lần",
    col_status: "Trạng thái",
    col_started: "Bắt đầu",
    col_correct: "Số câu đúng",
    requests: "Các yêu cầu của bạn",
    col_request: "Yêu cầu",
    col_sent: "Gửi lúc",
    col_due: "Hạn trả lời",
    col_answer: "Trả lời",
    download: "Tải về dữ liệu của tôi (JSON)",
    download_hint: "Tệp chứa toàn bộ thông tin ở trang này, để bạn lưu giữ hoặc chuyển cho nơi khác.",
    correction: "Yêu cầu sửa dữ liệu",
    field: "Thông tin cần sửa",
    value: "Giá trị đúng",
    reason: "Lý do (không bắt buộc)",
    send_correction: "Gửi yêu cầu sửa",
    deadline: |days| format!("Tổ Thư ký xem xét và trả lời trong {days} ngày (thời hạn do Ban Tổ chức quy định)."),
    erasure: "Rút lại sự đồng ý và yêu cầu xóa dữ liệu",
    erasure_intro: "Khi dữ liệu được xóa, bạn không đăng nhập lại được và không được xét giải; kết quả các lượt thi chỉ còn trong thống kê dưới dạng ẩn danh. Việc xóa không khôi phục được.",
    ask_erasure: "Yêu cầu xóa dữ liệu",
    confirm_heading: "Xác nhận yêu cầu xóa dữ liệu",
    at_once: "Cuộc thi đã kết thúc và không có giải thưởng nào phụ thuộc vào dữ liệu của bạn: dữ liệu cá nhân sẽ được xóa ngay khi bạn xác nhận.",
    queued: |due| {
        format!("Cuộc thi đang diễn ra: yêu cầu được chuyển đến Tổ Thư ký, trả lời trước {due} (giờ Việt Nam).")
    },
    confirm: "Tôi xác nhận yêu cầu xóa dữ liệu",
    cancel: "Quay lại",
    refused: "Không thể xóa dữ liệu",
    erased: "Dữ liệu cá nhân của bạn đã được xóa.",
    sent: |due| format!("Đã gửi yêu cầu. Tổ Thư ký trả lời trước {due} (giờ Việt Nam); kết quả hiện ở trang này."),
    back: "Về trang cuộc thi",
    again: "Xem lại dữ liệu của tôi",
};
