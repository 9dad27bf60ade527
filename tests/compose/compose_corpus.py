"""A corpus of dispatches for the composer's property tests and benchmark.

Eight languages (English, Japanese, Chinese, Arabic, Hindi, French, German,
Portuguese), each with a ~1,500-word body full of what trips sentence
splitters (abbreviations, decimals, quotes, URLs, mentions), plus the hard
cases: emoji-heavy and CJK titles, very long titles and URLs, no summary, no
body, odd tags, a word longer than any post.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from syndicate.model import Dispatch, Image

POOLS: dict[str, tuple[str, ...]] = {
    "en": (
        "Dr. Amelia Ortiz said the river rose 2.5 m overnight.",
        "\"We have never seen this,\" she told reporters at 6 a.m. on Tuesday.",
        "The U.S. Geological Survey put the flow at 3,400 m³/s, i.e. twice the seasonal average.",
        "Officials (including Gov. Hale) urged calm.",
        "Read the agency's report at https://water.example.gov/reports/2026/flood-update?id=42.",
        "Is the levee safe? Nobody could say for certain.",
        "Follow @ortiz.bsky.social for updates on #Flood2026 as the water recedes.",
        "Prices rose 4.7% vs. 3.1% a year earlier, according to St. Louis Fed data.",
        "The mayor's office, which declined to comment, said \"more later.\"",
        "Volunteers brought food 🍲, blankets 🛏️ and service dogs 🐕‍🦺 to the shelter.",
        "Mr. and Mrs. Patel lost their shop, their car and, they said, \"almost everything we owned.\"",
        "By 9:30 p.m. the crest had passed Riverside, the county's largest town.",
    ),
    "ja": (
        "東京都は23日、新しい防災計画を発表した。",
        "計画では、河川の水位が3.5メートルを超えた場合に避難指示を出す。",
        "「これまでにない規模だ」と担当者は話した。",
        "詳細は https://www.example.jp/bousai/2026/keikaku で公開されている。",
        "コンピューターによるシミュレーションも行われた。",
        "住民からは不安の声も上がっている！",
        "本当に大丈夫なのか？",
        "専門家の山田教授は「備えが何より大切だ」と強調した。",
    ),
    "zh": (
        "北京市政府周一宣布了新的交通政策。",
        "根据该政策，市中心的拥堵费将提高至每天15.5元。",
        "一位官员表示：“这是必要的措施。”",
        "市民对此反应不一！",
        "这项政策何时生效？",
        "更多信息请访问 https://www.example.cn/news/2026/11/policy 了解。",
        "交通部门预计，高峰时段车流量将减少约20%。",
    ),
    "ar": (
        "أعلنت وزارة الصحة يوم الاثنين عن خطة جديدة لمكافحة الحمى.",
        "وقال الدكتور أحمد إن نسبة الإصابة ارتفعت بنسبة 2.5 في المئة.",
        "هل الخطة كافية؟",
        "يقول الخبراء إن الوقت قد حان للتحرك!",
        "\"لم نر شيئا مثل هذا من قبل\"، قال أحد السكان.",
        "وتشمل الخطة حملات توعية في المدارس والمستشفيات في جميع المحافظات.",
    ),
    "hi": (
        "दिल्ली सरकार ने सोमवार को नई परिवहन नीति की घोषणा की।",
        "डॉ. शर्मा ने कहा कि प्रदूषण का स्तर 2.5 गुना बढ़ गया है।",
        "क्या यह नीति काम करेगी?",
        "नागरिकों ने इसका स्वागत किया!",
        "\"यह एक ऐतिहासिक कदम है,\" मंत्री ने कहा।",
        "नीति के तहत शहर में पाँच हज़ार नई इलेक्ट्रिक बसें चलाई जाएँगी।",
    ),
    "fr": (
        "M. Dupont, maire de Lyon, a annoncé lundi un nouveau plan vélo.",
        "Le budget atteint 12,5 millions d’euros, soit 3,2 % de plus qu’en 2025.",
        "« C’est une étape importante », a-t-il déclaré.",
        "Les travaux commenceront-ils avant l’été ?",
        "Selon l’INSEE, la ville compte env. 520 000 habitants.",
        "Mme Martin, conseillère municipale, reste prudente.",
        "Les associations de cyclistes saluent une « avancée réelle » mais attendent des actes.",
    ),
    "de": (
        "Dr. Müller vom Umweltbundesamt stellte am Montag den neuen Bericht vor.",
        "Die Temperaturen stiegen um 1,5 Grad, d.h. deutlich schneller als erwartet.",
        "„Wir müssen jetzt handeln“, sagte sie.",
        "Ist das Ziel noch erreichbar?",
        "Laut Bericht stammen ca. 40 % der Emissionen aus dem Verkehr.",
        "Die Bundesregierung, u.a. das Verkehrsministerium, prüft die Vorschläge.",
        "Umweltverbände sprachen von einem Weckruf für die gesamte Republik.",
    ),
    "pt": (
        "O Sr. Silva, prefeito de Lisboa, anunciou na segunda-feira um novo plano.",
        "O orçamento chega a 12,5 milhões de euros, i.e. 3,2% a mais que em 2025.",
        "“É um passo importante”, disse a Dra. Costa.",
        "As obras começam antes do verão?",
        "Segundo o INE, a cidade tem aprox. 550 mil habitantes.",
        "Os moradores do bairro de Alfama pedem mais transportes públicos à noite.",
    ),
}

TITLES = {
    "en": "Flood waters recede in Riverside as residents count the cost",
    "ja": "東京都、新しい防災計画を発表　水位3.5メートルで避難指示",
    "zh": "北京宣布新交通政策：市中心拥堵费提高至每天15.5元",
    "ar": "وزارة الصحة تعلن خطة جديدة لمكافحة الحمى",
    "hi": "दिल्ली सरकार ने नई परिवहन नीति की घोषणा की",
    "fr": "Lyon : M. Dupont annonce un plan vélo de 12,5 millions d’euros",
    "de": "Umweltbundesamt: Temperaturen steigen schneller als erwartet",
    "pt": "Lisboa anuncia novo plano de transportes para Alfama",
}

TAGS = {
    "en": ("Climate Change", "floods", "Open Source", "2026"),
    "ja": ("防災", "東京", "気候変動"),
    "zh": ("交通", "北京"),
    "ar": ("الصحة", "مصر"),
    "hi": ("दिल्ली", "परिवहन"),
    "fr": ("Vélo", "Lyon", "état d'urgence"),
    "de": ("Klimawandel", "Umwelt Bundesamt"),
    "pt": ("Lisboa", "Transportes Públicos"),
}

CJK = ("ja", "zh")


def body(language: str, words: int = 1500, *, seed: int = 0) -> str:
    """A body of about `words` words (CJK: about 2 characters per word) in paragraphs of 3–6 sentences."""
    pool = POOLS[language]
    sentences = itertools.cycle(pool[seed % len(pool):] + pool[: seed % len(pool)])
    paragraphs: list[str] = []
    count = 0
    sizes = itertools.cycle((4, 3, 6, 5))
    while count < words:
        para = [next(sentences) for _ in range(next(sizes))]
        joiner = "" if language in CJK else " "
        text = joiner.join(para)
        paragraphs.append(text)
        count += len(text) // 2 if language in CJK else len(text.split())
    return "\n\n".join(paragraphs)


def dispatch(
    key: str,
    *,
    language: str | None = "en",
    title: str | None = None,
    summary: str | None = None,
    text: str | None = None,
    url: str | None = None,
    tags: tuple[str, ...] | None = None,
    image: bool = True,
) -> Dispatch:
    lang = language or "en"
    full = body(lang) if text is None else text
    lede = full.split("\n\n")[0] if full else ""
    return Dispatch(
        id=f"urn:test:{key}",
        feed="Test Dispatches",
        feed_url="https://news.example.org/feed.xml",
        url=url or f"https://news.example.org/2026/11/{key}",
        title=TITLES[lang] if title is None else title,
        text=full,
        summary=lede if summary is None else summary,
        tags=TAGS[lang] if tags is None else tags,
        language=language,
        author="Ana Quispe",
        published=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        image=Image(f"https://news.example.org/img/{key}.jpg", alt="A photo") if image else None,
    )


LONG_URL = (
    "https://news.example.org/2026/11/28/"
    + "a-very-long-slug-that-goes-on-and-on-" * 12
    + "?"
    + "&".join(f"param{i}=value{i}" for i in range(15))
)
GIANT_WORD = "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft" * 6


def corpus() -> dict[str, Dispatch]:
    """Every dispatch of the corpus, by name."""
    out = {f"long-{lang}": dispatch(f"long-{lang}", language=lang) for lang in POOLS}
    out["lang-unknown-ja"] = dispatch("lang-unknown-ja", language=None, text=body("ja"), title=TITLES["ja"])
    out["emoji-title"] = dispatch(
        "emoji-title",
        title="🔥🌍🌡️ Heatwave 🥵 grips Europe 🇪🇺🇫🇷🇩🇪 as 👨‍👩‍👧‍👦 families flee 🏃‍♀️🏃🏽‍♂️ to the coast 🏖️🌊 "
        "while 👩🏾‍🚒 firefighters 🚒 battle 🔥🔥🔥 blazes across 🇬🇷🇮🇹🇪🇸 and 🇵🇹 for a 7️⃣th day ☀️😰",
        summary="🥵 Temperatures hit 44.5 °C in Seville 🇪🇸. 🚒 Crews are stretched thin. 🙏 Stay safe! " * 3,
    )
    out["cjk-long-title"] = dispatch(
        "cjk-long-title", language="ja",
        title="東京都、新しい防災計画を発表　河川の水位が3.5メートルを超えた場合に避難指示　"
        "住民からは不安の声も　専門家「備えが何より大切」　コンピューターシミュレーションで被害想定" * 3,
    )
    out["zh-long-title"] = dispatch("zh-long-title", language="zh", title=TITLES["zh"] * 12)
    out["very-long-title"] = dispatch(
        "very-long-title",
        title="After three days of record rainfall, the river that runs through Riverside burst its banks on "
        "Tuesday night, flooding hundreds of homes, closing every bridge in the county and forcing the "
        "evacuation of two hospitals, a prison and the regional airport, officials said on Wednesday morning "
        "as the water finally began to recede and the long work of counting the cost began",
    )
    out["very-long-url"] = dispatch("very-long-url", url=LONG_URL)
    out["no-summary"] = dispatch("no-summary", summary="")
    out["no-body"] = dispatch("no-body", text="", summary="A short dispatch with only a summary.")
    out["no-body-no-summary"] = dispatch("no-body-no-summary", text="", summary="", tags=())
    out["odd-tags"] = dispatch(
        "odd-tags",
        tags=("Open Source", "C++", "2026", "état d'urgence", "東京", "#already", "COVID-19", "🎉",
              "open source", "Node.js", "don't panic"),
    )
    out["giant-word"] = dispatch(
        "giant-word",
        language="de",
        text="Das längste Wort: " + GIANT_WORD + ". Danach folgt ein normaler Satz.\n\n" + body("de", 300),
        summary="Ein Wort, länger als jeder Beitrag: " + GIANT_WORD,
    )
    out["long-url-in-body"] = dispatch(
        "long-url-in-body",
        text="The full data set is at " + LONG_URL + " for anyone who wants it. " + body("en", 200),
    )
    out["title-equals-summary"] = dispatch(
        "title-equals-summary", summary=TITLES["en"], text=body("en", 100)
    )
    out["mentions-and-tags"] = dispatch(
        "mentions-and-tags",
        title="Interview with @alice.bsky.social and @bob@mastodon.social about #OpenData",
        summary="We talked to @alice.bsky.social (see alice.example.com) about #OpenData, #données and more.",
        text="Ask @alice.bsky.social anything. #AMA\n\n" + body("en", 300),
    )
    return out
