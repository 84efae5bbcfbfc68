"""The demo company's fixed vocabulary: products, personas, segments, regions, events."""

from __future__ import annotations

PRODUCT_LINES = ("Analytics", "Automation", "Data Platform")
#: (product, product line, plan, list price per seat per month)
PLANS = {
    "Analytics": [
        ("Northstar Analytics", "Starter", 18.0),
        ("Northstar Analytics", "Growth", 32.0),
        ("Northstar Analytics", "Enterprise", 55.0),
    ],
    "Automation": [("Flow Automation", "Add-on", 12.0)],
    "Data Platform": [("Data Hub", "Add-on", 20.0)],
}
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
SEGMENT_SHARE = (0.55, 0.30, 0.15)
#: (min seats, max seats) by segment
SEATS = {"SMB": (3, 25), "Mid-Market": (25, 150), "Enterprise": (150, 1200)}
PERSONAS = (
    ("growth_marketer", "Growth marketer"),
    ("ops_automator", "Operations automator"),
    ("finance_controller", "Finance controller"),
    ("product_team", "Product team"),
    ("data_platform", "Data platform team"),
)
PERSONA_SHARE = (0.28, 0.24, 0.18, 0.18, 0.12)
#: How the buying team is written in the demo's CRM (``attributes.primary_team``), by persona.
PERSONA_TEAMS = {
    "growth_marketer": ("Marketing", "Demand generation", "Growth marketing"),
    "ops_automator": ("Operations", "RevOps", "Business operations"),
    "finance_controller": ("Finance", "FP&A", "Controlling"),
    "product_team": ("Product", "Product management"),
    "data_platform": ("Data", "Data engineering", "BI"),
}
INDUSTRIES = (
    "Software",
    "Retail",
    "Manufacturing",
    "Financial services",
    "Healthcare",
    "Media",
    "Logistics",
    "Education",
    "Hospitality",
    "Energy",
)
#: (country, region, language, weight)
COUNTRIES = (
    ("US", "North America", "en", 0.30),
    ("GB", "EMEA", "en", 0.12),
    ("IT", "EMEA", "it", 0.14),
    ("JP", "APAC", "ja", 0.14),
    ("AE", "MEA", "ar", 0.06),
    ("SA", "MEA", "ar", 0.05),
    ("EG", "MEA", "ar", 0.03),
    ("PL", "EMEA", "pl", 0.12),
    ("AU", "APAC", "en", 0.04),
)
BASE_EVENTS = (
    "login",
    "view_dashboard",
    "run_report",
    "search",
    "export_csv",
    "invite_user",
    "comment",
    "api_call",
)
BASE_WEIGHTS = (0.20, 0.22, 0.12, 0.10, 0.05, 0.02, 0.05, 0.08)
#: Key features: adopting them lowers churn in the causal story.
KEY_FEATURES = ("build_dashboard", "schedule_report", "create_automation", "connect_source")
KEY_WEIGHTS = (0.06, 0.04, 0.03, 0.03)
FIRST_NAMES = (
    "Alex",
    "Sam",
    "Giulia",
    "Marco",
    "Yuki",
    "Haruto",
    "Layla",
    "Omar",
    "Anna",
    "Piotr",
    "Maria",
    "John",
    "Sofia",
    "Kenji",
    "Fatima",
    "Jan",
    "Emma",
    "Luca",
    "Aiko",
    "Karim",
)
LAST_NAMES = (
    "Rossi",
    "Tanaka",
    "Kowalski",
    "Smith",
    "Haddad",
    "Nowak",
    "Bianchi",
    "Sato",
    "Brown",
    "Mansour",
    "Wiśniewska",
    "Ferrari",
    "Suzuki",
    "Johnson",
    "Khalil",
    "Lewandowski",
)
NAME_PARTS = (
    "Blue",
    "North",
    "Bright",
    "Iron",
    "Silver",
    "Rapid",
    "Green",
    "Summit",
    "Harbor",
    "Nova",
    "Atlas",
    "Cedar",
    "Delta",
    "Vertex",
    "Orbit",
    "Pioneer",
    "Lumen",
    "Quantum",
    "Aurora",
    "Falcon",
)
NAME_SUFFIX = (
    "Labs",
    "Systems",
    "Retail",
    "Foods",
    "Logistics",
    "Health",
    "Media",
    "Energy",
    "Works",
    "Group",
    "Partners",
    "Analytics",
    "Motors",
    "Textiles",
    "Bank",
    "Studios",
)

#: Contact names by language, so a Japanese customer's people have Japanese names. E-mail local parts use
#: the romanised form (the second element).
PEOPLE = {
    "en": (
        ("Emma", "emma"),
        ("John", "john"),
        ("Olivia", "olivia"),
        ("Liam", "liam"),
        ("Grace", "grace"),
        ("Noah", "noah"),
        ("Chloe", "chloe"),
        ("Jack", "jack"),
    ),
    "it": (
        ("Giulia", "giulia"),
        ("Marco", "marco"),
        ("Francesca", "francesca"),
        ("Luca", "luca"),
        ("Chiara", "chiara"),
        ("Matteo", "matteo"),
        ("Sara", "sara"),
        ("Alessandro", "alessandro"),
    ),
    "ja": (
        ("陽翔", "haruto"),
        ("結衣", "yui"),
        ("健二", "kenji"),
        ("愛子", "aiko"),
        ("翔太", "shota"),
        ("美咲", "misaki"),
        ("大輔", "daisuke"),
        ("由美", "yumi"),
    ),
    "ar": (
        ("ليلى", "layla"),
        ("عمر", "omar"),
        ("فاطمة", "fatima"),
        ("كريم", "karim"),
        ("نور", "nour"),
        ("يوسف", "youssef"),
        ("سارة", "sara"),
        ("أحمد", "ahmed"),
    ),
    "pl": (
        ("Anna", "anna"),
        ("Piotr", "piotr"),
        ("Katarzyna", "katarzyna"),
        ("Tomasz", "tomasz"),
        ("Agnieszka", "agnieszka"),
        ("Michał", "michal"),
        ("Magdalena", "magdalena"),
        ("Jan", "jan"),
    ),
}
SURNAMES = {
    "en": (
        ("Smith", "smith"),
        ("Johnson", "johnson"),
        ("Brown", "brown"),
        ("Taylor", "taylor"),
        ("Wilson", "wilson"),
        ("Clarke", "clarke"),
    ),
    "it": (
        ("Rossi", "rossi"),
        ("Bianchi", "bianchi"),
        ("Ferrari", "ferrari"),
        ("Romano", "romano"),
        ("Conti", "conti"),
        ("Esposito", "esposito"),
    ),
    "ja": (
        ("佐藤", "sato"),
        ("鈴木", "suzuki"),
        ("高橋", "takahashi"),
        ("田中", "tanaka"),
        ("伊藤", "ito"),
        ("渡辺", "watanabe"),
    ),
    "ar": (
        ("الحداد", "haddad"),
        ("منصور", "mansour"),
        ("خليل", "khalil"),
        ("العلي", "alali"),
        ("الصالح", "alsaleh"),
        ("حسن", "hassan"),
    ),
    "pl": (
        ("Nowak", "nowak"),
        ("Kowalski", "kowalski"),
        ("Wiśniewska", "wisniewska"),
        ("Lewandowski", "lewandowski"),
        ("Wójcik", "wojcik"),
        ("Kamińska", "kaminska"),
    ),
}
#: The success plans the demo writes for a third of its paying accounts, by persona: the plan's title, its
#: goals (outcome, metric, unit, start, target) and the figures its ROI model uses (demo/roi.yaml).
PLAN_GOALS = {
    "growth_marketer": {
        "title": "Measured, repeatable campaigns",
        "goals": [
            ("Campaign reports without manual work", "manual reporting", "hours/week", 12.0, 2.0),
            ("More pipeline from campaigns", "marketing-sourced pipeline", "k", 400.0, 650.0),
        ],
        "inputs": {"hours_per_report": 2.0, "hourly_cost": 55.0, "hours_per_dashboard": 4.0},
    },
    "ops_automator": {
        "title": "Recurring work automated",
        "goals": [
            ("Hours of manual work removed", "manual work", "hours/week", 40.0, 10.0),
            ("Fewer errors in hand-offs", "errors", "per month", 25.0, 5.0),
        ],
        "inputs": {"hours_saved_per_automation": 6.0, "hourly_cost": 45.0},
    },
    "finance_controller": {
        "title": "A faster close the board trusts",
        "goals": [
            ("Close the month faster", "close", "days", 10.0, 4.0),
            ("Board pack without spreadsheets", "spreadsheets in the pack", "count", 14.0, 0.0),
        ],
        "inputs": {"hours_per_report": 3.0, "hourly_cost": 70.0, "hours_per_dashboard": 5.0},
    },
    "product_team": {
        "title": "Product decisions from usage",
        "goals": [("Decisions backed by usage data", "roadmap items with data", "%", 20.0, 80.0)],
        "inputs": {"hours_per_report": 1.5, "hourly_cost": 65.0, "hours_per_dashboard": 3.0},
    },
    "data_platform": {
        "title": "One trusted source of data",
        "goals": [
            ("Sources centralised", "sources connected", "count", 2.0, 12.0),
            ("Teams serving themselves", "self-serve teams", "count", 0.0, 6.0),
        ],
        "inputs": {"hours_per_integration": 16.0, "hourly_cost": 75.0, "hours_per_dashboard": 3.0},
    },
}
#: The demo's success vehicles (demo/vehicles.yaml) and the effect each really has, which the effect estimates
#: must recover (docs/demo-data.md): the key feature whose first use is the milestone it serves, and the
#: log-odds its enrolment adds to the monthly chance of adopting that feature while it runs (the 3 months after
#: the month of enrolment).
#: The webinars do nothing: an honest estimate of them includes zero.
VEHICLE_EFFECTS = {
    "dashboard_academy": ("build_dashboard", 2.0),
    "automation_bootcamp": ("create_automation", 1.5),
    "reporting_webinars": ("schedule_report", 0.0),
}

#: One-off purchases (professional services, training days, add-on packs), invoiced without a subscription: the
#: non-contractual side of lifetime value, drawn from the BG/NBD and Gamma-Gamma stories themselves so the
#: models' estimates can be checked against the truth (docs/demo-data.md). Rates are per week.
SERVICES = {
    "share_buying": 0.55,  # accounts whose onboarding includes a services package (their first purchase)
    "first_within_days": 45,  # that package is bought within this many days of the first paid day
    "r": 0.8,  # purchase rate while active: lambda ~ Gamma(r, alpha) per week (mean 0.04: about 2 a year)
    "alpha": 20.0,
    "a": 1.2,  # chance of dropping out after each purchase: p ~ Beta(a, b) (mean 0.13)
    "b": 8.0,
    "p": 3.0,  # spend per purchase ~ Gamma(p, nu), nu ~ Gamma(q, gamma): mean p*gamma/(q-1) = 3,000 USD
    "q": 6.0,
    "gamma": 5000.0,
}
