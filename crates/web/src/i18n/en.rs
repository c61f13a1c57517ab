//! The English texts.

use chrono::{DateTime, Utc};
use cuocthi_domain::identity::Field;
use cuocthi_domain::text;

use super::{FeedbackTexts, PrivacyTexts, Texts, vn};

fn en_long(at: DateTime<Utc>) -> String {
    vn(at, "%H:%M on %d/%m/%Y")
}

fn en_duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match (s / 60, s % 60) {
        (0, sec) => format!("{sec} s"),
        (m, 0) => format!("{m} min"),
        (m, sec) => format!("{m} min {sec} s"),
    }
}

fn en_number(n: i64) -> String {
    text::thousands(n).replace('.', ",")
}

pub const EN: Texts = Texts {
    lang: "en",
    og_locale: "en_US",
    switch_label: "Tiếng Việt",
    switch_lang: "vi",
    switch_href: "?lang=vi",
    site: "Online contests",
    skip: "Skip to main content",
    footer: "Times are shown in Vietnam time (UTC+7).",
    results_heading: "Results",
    results_none: "The organisers have not published results yet.",
    results_published: "Published at",
    results_participants: "People ranked",
    results_figure: "The real figure of the tiebreak question",
    col_rank: "Rank",
    col_name: "Name",
    col_unit: "Unit",
    col_locality: "Locality",
    col_correct: "Correct",
    col_time: "Time",
    col_prize: "Prize",
    certificate: "Certificate",
    certificate_genuine: "Genuine certificate",
    certificate_genuine_text: "This certificate was issued by this site for the published results:",
    certificate_superseded: "Note: since this certificate, the organisers have published a new version of the results. See the current prize list on the results page.",
    results_version: |v| format!("version {v}"),
    lookup_heading: "Look up your own place",
    lookup_intro: "Enter the identity number and date of birth you registered with. They are not stored or shown to anyone.",
    lookup_submit: "Look up",
    lookup_not_ranked: "You are not in this ranking.",
    lookup_place: |place, of| format!("Place {} of {}", place, text::thousands(*of)),
    certificate_download: "Download the certificate (PDF)",
    see_results: "See the results",
    vn_time: "Vietnam time",

    home_heading: "Online contests",
    open_now: "Open now",
    open_none: "No contest is open at the moment.",
    upcoming: "Upcoming",
    upcoming_none: "No contest is about to open.",
    closed: "Closed",
    closed_none: "No contest has closed yet.",
    from: "From",
    to: "to",

    organiser: "Organiser",
    hello: "Hello",
    sign_out: "Sign out",
    people: "Participants",
    attempts: "Attempts",
    register: "Register to take part",
    registered_before: "Registered before?",
    sign_in_with_id: "Sign in with your ID number and date of birth",
    your_attempts: "Your attempts",
    prizes: "Prizes",
    audience: "Who may take part",
    rules: "Rules",
    materials: "Study materials",
    download: "Download",
    continue_attempt: "Continue the attempt",
    share: "Share this contest",
    share_facebook: "Share on Facebook",
    share_link: "Link to send on Zalo, by message or by email",
    embed: "Embed on a portal",
    embed_note: "For organisers and portals: copy the code and paste it into a page. The frame shows only on the websites the organiser has allowed.",
    embed_iframe: "Embedded frame (iframe)",
    embed_banner: "Banner link",
    banner_cta: "Take part now",
    start: "Start",
    a_participant: "participant",
    between_rounds: "The contest is between two rounds.",
    min_age: |age| format!("Participants must be at least {age} years old."),
    attempt_again: |n| format!("Start attempt {n}"),
    round_upcoming: |at| format!("This round has not opened yet. It opens at {}.", en_long(at)),
    round_closed: |at| format!("This round closed at {}.", en_long(at)),
    contest_upcoming: |at| format!("The contest has not opened yet. It opens at {}.", en_long(at)),
    contest_closed: |at| format!("The contest closed at {}.", en_long(at)),
    contest_open_until: |at| format!("The contest is open until {}.", en_long(at)),
    window: |a, b| format!("From {} to {}", en_long(a), en_long(b)),
    facts: |q, min, n| format!("{q} questions, at most {min} minutes per attempt, at most {n} attempts per person."),
    prize: |name, count, amount| {
        if amount > 0 {
            format!("{name}: {count} prizes of {} VND each", en_number(amount))
        } else {
            format!("{name}: {count} prizes")
        }
    },
    attempt_line: |seq, correct, questions, ms| {
        format!("Attempt {seq}: {correct}/{questions} correct, {}", en_duration(ms))
    },
    og_description: |summary, first, last| {
        format!("{summary} From {} to {} (Vietnam time).", en_long(first), en_long(last))
    },

    choose: "– Choose –",
    consent_1: "The information above is used by",
    consent_2: "to run the contest: verifying participants, scoring, ranking, awarding prizes and counting participants. The data is kept for",
    retention: "12 months after the contest's results are published",
    consent_3: ", then deleted; participants may see, correct and ask for the deletion of their data under the Personal Data Protection Law.",
    agree_1: "I agree that",
    agree_2: "may process my personal data for the purpose above.",
    register_continue: "Register and continue",
    sign_in: "Sign in",
    sign_in_heading: "Sign in to take part",
    not_registered: "Not registered yet?",
    back_to_contest: "Back to the contest page",
    field: |f| match f {
        Field::FullName => "Full name",
        Field::DateOfBirth => "Date of birth",
        Field::Cccd => "Citizen ID number (CCCD)",
        Field::Phone => "Phone number",
        Field::Email => "Email",
        Field::Unit => "Workplace",
        Field::Locality => "Place of residence",
        Field::Group => "Participant group",
    },
    hint: |f| match f {
        Field::FullName => "In full, with diacritics, for example: Nguyễn Văn An.",
        Field::DateOfBirth => "Day/month/year, for example: 02/09/1995.",
        Field::Cccd => "The 12 digits on the ID card.",
        Field::Phone => "10 digits, for example: 0912 345 678.",
        Field::Locality => "The commune or ward where you live.",
        _ => "",
    },
    identify_intro: |key| {
        format!(
            "If you have registered, enter what you gave when registering ({key} and date of birth) to continue or see your results."
        )
    },
    please_enter: |what| format!("Please enter your {}.", what.to_lowercase()),

    attempt: "Attempt",
    time_left: "Time left",
    question: "Question",
    saved: "Saved",
    unanswered: "Not answered",
    tiebreak: "Prediction question.",
    prediction_label: "Your prediction (a whole number, for example 12500)",
    save_answers: "Save answers",
    submit: "Submit",
    kept_note: "Saved answers are kept if you reload the page or open it on another device.",
    see_rules: "See the contest rules",
    bad_prediction: "The prediction is not valid: enter a whole number, for example 12500.",
    attempt_intro: |seq, total, deadline| {
        format!("Attempt {seq}: {total} questions. Deadline: {deadline} (Vietnam time).")
    },
    answered: |n, total| format!("Answered {n}/{total}"),
    nojs_note: |left| {
        format!("When the page loaded, {left} were left. Answers are saved when you press “Save answers” or “Submit”.")
    },
    js_saved_at_once: "Each answer is saved as soon as you choose it.",
    js_saving: "Saving…",
    js_answered: "Answered {n}/{total}",
    js_expired: "Not saved — your session has expired; please sign in again.",
    js_invalid: "Not saved — the answer is not valid.",
    js_retrying: "Not saved — retrying",
    js_bad_prediction: "Enter a whole number, for example 12500.",
    js_confirm_left: "{n} questions are not answered. Submit anyway?",
    js_confirm_all: "All {n} questions are answered. Submit now?",
    js_time_up: "Time is up. The attempt is submitted with the saved answers.",
    js_five_minutes: "5 minutes left.",
    js_one_minute: "1 minute left.",
    layout: "Show:",
    one_per_screen: "One question at a time",
    all_questions: "All questions",
    js_prev: "‹ Previous",
    js_next: "Next ›",
    js_flag: "Flag for review",
    js_map: "Questions",
    js_flagged: "flagged",

    confirm_heading: "Confirm submission",
    you_have: "You have",
    back_to_attempt: "Back to the attempt",
    all_answered: |total| format!("You have answered all {total}/{total} questions."),
    left_of: |total| format!("unanswered questions (of {total}): questions"),
    confirm_note: |left| format!("Time left: {left}. Once submitted, answers cannot be changed."),
    result_heading: "Result",
    correct_answers: "Correct answers",
    time_taken: "Time taken",
    submitted_at: "Submitted at",
    prediction: "Prediction",
    attempts_left: "Attempts left",
    auto_submitted: "Time is up: your attempt was submitted automatically with the answers saved.",
    to_contest: "Back to the contest",
    key_heading: "Answers and explanations",
    right: "(Correct)",
    wrong: "(Not correct)",
    correct_mark: "– correct answer",
    you_chose: "(your choice)",
    key_later: "The answers are published after the round closes (if the organiser allows).",
    attempt_no: |seq| format!("attempt {seq}"),

    error_heading: "The request could not be completed",
    home: "Back to the home page",
    home_to_choose: "Back to the home page to choose a contest",

    duration: en_duration,
    at_seconds: |at| vn(at, "%H:%M:%S on %d/%m/%Y"),
    filter_list: "Type to search the list",
    opens_in: "The round opens in",
    closes_in: "The round closes in",
    countdown_units: "d,h,min,s",

    date_does_not_exist: |d| format!("The date {d} does not exist; check the day, month and year."),
    identify_no_match: "No registration has this number and date of birth. Check both; if you have not registered yet, register first.",
    answered_label: "Questions answered",
    registration_closed: "The contest has ended, so no new registrations are accepted.",
    running_attempt: "You have an attempt in progress",
    col_prediction: "Prediction",
    col_distance: "Prediction distance",
    practice_note: "This is a practice contest with no prizes: the prediction question is only there to practise.",
    col_submitted: "Submitted at",
    results_collective: "Collective prizes",
    results_structure_adjusted: |why| format!("Prize structure adjusted by the committee: {why}"),
    results_order: "Ranked by the columns in turn",
    col_team: "Team",
    col_members: "Members",
    col_collective: "Unit (collective prize)",
    col_achievement: "Achievement",
    col_adjustments: "Bonus/penalty",
    col_total: "Total",
    col_participants: "Participants",
    col_rate: "Rate",
    results_tie_breaks: "Equal totals are decided by, in turn",
};

pub static FEEDBACK_EN: FeedbackTexts = FeedbackTexts {
    summary: "Report a problem with this question",
    label: "Your remark (at most 1,000 characters)",
    send: "Send",
    sent: "Report sent",
    sent_notice: |n| format!("Your report on question {n} was sent. The organisers will reply on your result page."),
    heading: "Remarks on the questions",
    intro: "If a question looks wrong, you may tell the organisers (once per question).",
    your_report: "Your report:",
    reply: "The organisers' reply:",
    waiting: "The organisers have not replied yet.",
    award: "This question was voided: everyone asked it is counted as right.",
    drop: "This question was voided: it is not scored.",
    not_scored: "Not scored",
};

pub static PRIVACY_EN: PrivacyTexts = PrivacyTexts {
    heading: "My personal data",
    intro: |key| {
        format!(
            "Under the Personal Data Protection Law you may see and download the personal data the organisers keep \
             about you, ask for it to be corrected, withdraw your consent and ask for it to be erased. So that only \
             you can see it, enter your {} and the date of birth you gave when you registered.",
            key.to_lowercase()
        )
    },
    show: "Show my data",
    stored: "What is stored",
    purged: |at| {
        format!("Your personal data was erased at {at} (Vietnam time); your results remain only as anonymous figures.")
    },
    retention: "Kept for",
    removal_due: "Erased from",
    registered: "Registered at",
    consent: "Consent text version",
    complete: "Complete enough for prizes",
    attempts: "Attempts",
    col_round: "Round",
    col_attempt: "No.",
    col_status: "Status",
    col_started: "Started",
    col_correct: "Correct answers",
    requests: "Your requests",
    col_request: "Request",
    col_sent: "Sent",
    col_due: "Answer due",
    col_answer: "Answer",
    download: "Download my data (JSON)",
    download_hint: "The file holds everything on this page, for you to keep or take elsewhere.",
    correction: "Ask for a correction",
    field: "What to correct",
    value: "The correct value",
    reason: "Why (optional)",
    send_correction: "Send the request",
    deadline: |days| format!("The secretariat answers within {days} days (the organisers' setting)."),
    erasure: "Withdraw consent and ask for erasure",
    erasure_intro: "Once your data is erased you cannot sign in again and cannot receive a prize; your attempts remain only as anonymous figures. Erasure cannot be undone.",
    ask_erasure: "Ask for erasure",
    confirm_heading: "Confirm the erasure",
    at_once: "The contest is over and no prize depends on your data: it will be erased as soon as you confirm.",
    queued: |due| {
        format!(
            "The contest is still running: your request goes to the secretariat, who answer by {due} (Vietnam time)."
        )
    },
    confirm: "I confirm: erase my data",
    cancel: "Go back",
    refused: "Your data cannot be erased",
    erased: "Your personal data has been erased.",
    sent: |due| {
        format!("Request sent. The secretariat answers by {due} (Vietnam time); the answer appears on this page.")
    },
    back: "Back to the contest",
    again: "Show my data again",
};
