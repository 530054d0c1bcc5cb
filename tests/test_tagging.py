"""normalize_tags and auto_tags."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from newsdrop.ingest.tagging import auto_tags, normalize_tags, tag_key
from newsdrop.models import Tag

BBC = Path(__file__).resolve().parents[2] / "shared" / "data" / "bbc-news.jsonl"


def test_duplicates_in_any_spelling_become_one_tag():
    tags = normalize_tags(["Global News", "global  news", "#global-news", "GLOBAL_news"])
    assert tags == [Tag(key="global-news", label="Global News")]


def test_capitalized_form_beats_earlier_lowercase():
    assert normalize_tags(["venezuela", "Venezuela"]) == [Tag(key="venezuela", label="Venezuela")]
    assert normalize_tags(["#global-news", "global news"])[0].label == "global news"


def test_first_seen_order_and_empty_tags_dropped():
    tags = normalize_tags(["Sport", "  ", "#", "Football", "sport"])
    assert [t.label for t in tags] == ["Sport", "Football"]


def test_accents_fold_in_keys_and_other_scripts_survive():
    assert tag_key("Café Society") == tag_key("cafe society") == "cafe-society"
    assert normalize_tags(["東京"])[0].key == "東京"


def test_limits():
    tags = normalize_tags([f"Tag {i}" for i in range(50)])
    assert len(tags) == 20
    long = normalize_tags(["word " * 30])[0]
    assert len(long.label) <= 50 and not long.label.endswith(" ")


VENEZUELA = (
    "Venezuela's National Electoral Council, led by Rafael Ordóñez, announced on Monday that the presidential "
    "election will be held on 18 May in Caracas. Opposition coordinator Marta Villalobos said the timetable "
    "made a fair primary impossible. Government officials in Caracas rejected the criticism. Electoral "
    "council president Ordóñez told state television the date respected the constitution. Villalobos urged "
    "observers to press Caracas for more time, and Villalobos will meet them in Caracas on Friday. "
    "Villalobos said she would not stand down. "
    "Colombia, which hosts millions of Venezuelan migrants, called for transparent conditions. Mr Ordóñez "
    "said the vote would be free. The opposition said "
    "the government wanted to keep candidates off the ballot in the election campaign. Ordóñez "
    "denied it."
)


def test_auto_tags_find_people_places_and_topics():
    tags = auto_tags("Venezuela sets election date as opposition cries foul", VENEZUELA)
    labels = [t.label for t in tags]
    assert {"Venezuela", "Marta Villalobos", "Caracas", "Politics"} <= set(labels)
    assert "Rafael Ordóñez" in labels  # "Mr Ordóñez" joins the full name
    for junk in ("The", "Mr", "Monday", "May", "Government", "Opposition", "Venezuelan", "Electoral"):
        assert junk not in labels
    assert len(tags) <= 6


def test_auto_tags_exclude_editor_tags_by_key_and_respect_limit():
    tags = auto_tags("Venezuela sets election date", VENEZUELA, exclude={"venezuela", "Politics"}, limit=3)
    keys = [t.key for t in tags]
    assert "venezuela" not in keys and "politics" not in keys
    assert len(tags) <= 3
    assert auto_tags("T", VENEZUELA, limit=0) == []


def test_demonyms_and_aliases_map_to_countries():
    text = (
        "Brazilian striker Caio Mendes joined a UK club from Porto. The Brazilian forward scored 21 goals. "
        "Mendes said the UK was a good place to play, the UK league was strong and he would stay in the UK. "
        "Mendes starts on Saturday, and Mendes is fit."
    )
    labels = [t.label for t in auto_tags("Club signs Brazilian striker", text)]
    assert "Brazil" in labels and "United Kingdom" in labels and "Caio Mendes" in labels
    assert "Brazilian" not in labels and "UK" not in labels


def test_auto_tags_on_empty_text():
    assert auto_tags("", "") == []


@pytest.mark.skipif(not BBC.exists(), reason="BBC evaluation corpus not present")
def test_bbc_articles_get_sensible_tags():
    # speed is measured by bench/tagging.py, not asserted here
    rows = [json.loads(line) for line in BBC.read_text(encoding="utf-8").splitlines() if line.strip()]
    sample = random.Random(42).sample(rows, 200)
    junk = {"The", "But", "Mr", "Mrs", "He", "She", "It", "In", "However", "Monday", "January", "This"}
    with_topic = 0
    for row in sample:
        tags = auto_tags(row["title"], row["body"])
        labels = {t.label for t in tags}
        assert not labels & junk, (row["title"], labels)
        assert len(tags) <= 6
        expected = {
            "business": {"Business", "Economy"},
            "sport": {"Sport"},
            "tech": {"Technology"},
            "politics": {"Politics"},
            "entertainment": {"Entertainment"},
        }[row["category"]]
        with_topic += bool(labels & expected)
    assert with_topic >= 0.7 * len(sample)


# --- automatic tags are subjects ------------------------------------------------------------------------
FORUM_POST = (
    "I'm looking for an Apple monitor for my Mac. I've tried two and I'd like a third opinion. You'll say the "
    "Apple one is best, but I don't trust it. We can't agree. My S3 card and the EISA bus are fine, "
    "the seller rated it Grade B. Anyone who knows the Apple monitors, please write. I'm grateful. "
    "They say Apple will ship a new one. It's cheap. None of them are in stock. Me neither."
)


def test_contractions_pronouns_and_codes_are_never_tags():
    keys = {t.key for t in auto_tags("Which monitor for a Mac?", FORUM_POST)}
    for junk in ("i-m", "i-ve", "i-d", "you-ll", "don-t", "can-t", "it", "me", "none", "they", "we"):
        assert junk not in keys
    for code in ("s3", "eisa", "grade-b", "grade"):
        assert code not in keys
    assert "apple" in keys  # the real subject survives


def test_abbreviations_keep_their_dots():
    text = (
        "Shares rose in the U.S. on Tuesday while the U.K. market fell. Traders in the U.S. said the "
        "U.K. figures were weak. Analysts in the U.S. expect more, and fewer in the U.K. do. The U.S. and the "
        "U.K. report again next week."
    )
    labels = {t.label for t in auto_tags("Markets split", text)}
    assert "United States" in labels and "United Kingdom" in labels
    assert not {label for label in labels if label.endswith(("U.S", "U.K"))}


def test_unknown_dotted_abbreviation_keeps_final_dot():
    text = "The N.F.U. warned farmers. Later the N.F.U. said prices would fall, and the N.F.U. met again. The N.F.U. meets monthly."
    labels = {t.label for t in auto_tags("Farm prices", text)}
    assert "N.F.U." in labels


def test_one_form_per_entity():
    text = (
        "The Winter Olympics open in Turin next week. Organisers of the Winter Olympic Games said tickets "
        "sold well. Athletes arrive for the Winter Olympics on Monday. Venezuelan president Nicolás Maduro "
        "spoke in Caracas. Maduro said the country would send skiers. Critics of Maduro disagreed."
    )
    tags = auto_tags("Maduro backs skiers as Winter Olympic Games near", text)
    keys = [t.key for t in tags]
    assert keys.count("winter-olympics") == 1 and "winter-olympic-games" not in keys
    assert "nicolas-maduro" in keys and "maduro" not in keys


def test_liberal_democrats_in_any_form_are_one_tag():
    text = "The Lib Dems said the plan was unfair. A Lib Dem spokesman added that the Liberal Democrats would vote."
    keys = [t.key for t in auto_tags("Lib Dems oppose plan", text)]
    assert keys.count("liberal-democrats") == 1
    assert "lib-dem" not in keys and "lib-dems" not in keys


def test_number_words_start_names_but_not_sentences():
    text = (
        "Wales face Ireland in the Six Nations on Saturday. The Six Nations decider is sold out. "
        "Two players are injured. Three more are doubtful for the Six Nations game."
    )
    labels = {t.label for t in auto_tags("Wales ready for Six Nations decider", text)}
    assert "Six Nations" in labels
    assert not labels & {"Nations", "Two", "Three"}


def test_no_auto_tag_repeats_an_editor_tag_in_another_form():
    text = (
        "Nicolás Maduro spoke in Caracas. Maduro said elections in Venezuela would be fair. The US and the "
        "UK called for observers. Maduro rejected the call, and the US embassy said nothing."
    )
    keys = {
        t.key
        for t in auto_tags("Maduro rejects observers for Venezuela vote", text, exclude={"Maduro", "USA"})
    }
    assert "nicolas-maduro" not in keys and "maduro" not in keys
    assert "united-states" not in keys and "usa" not in keys
    assert "venezuela" in keys  # what the editor did not say is still tagged


def test_region_and_faith_adjectives_become_their_subject():
    text = "European ministers met in Brussels. European leaders said the European budget was agreed."
    labels = {t.label for t in auto_tags("European budget deal", text)}
    assert "Europe" in labels and "European" not in labels


# --- forum posts: what is not the post's own prose never becomes a tag ----------------------------------
FORUM_NOISE = {
    "signature": (
        "Hubble repair",
        "The Hubble mirror was ground to the wrong shape, and the Hubble team says a fix is planned.\n"
        "NASA hopes the Hubble repair flies next year.\n--\n"
        "Quentin Marlowe, Orbital Widgets Laboratory\nQuentin Marlowe says: opinions mine\n",
        "Hubble",
        ("Marlowe", "Orbital Widgets"),
    ),
    "quoted reply and attribution": (
        "Re: Toyota sales",
        "In article <abc@host.example.edu>, Zelda Quimby writes:\n"
        "> Zelda Quimby thinks the Borvania Treaty is dead. Zelda Quimby said so twice.\n"
        "> The Borvania Treaty was signed by Zelda Quimby.\n"
        "I disagree: the Toyota dealers in Ohio report that Toyota sales went up, and Toyota agrees.\n",
        "Toyota",
        ("Quimby", "Borvania"),
    ),
    "headers, addresses and code": (
        "Motif button redraw",
        "From: Wendell Frobisher <wfrob@mail.example.com>\nSubject: Motif buttons\n"
        "Organization: Frobisher Widget Works\n\n"
        "My Motif button does not redraw. Motif 1.2 on the Sparc, and Motif says nothing.\n"
        "XtSetValues(DefaultButton, args, n);\nXtSetValues(DefaultButton, args, n);\n"
        "Mail me at wfrob@mail.example.com or see ftp.export.example.org for DefaultButton code.\n",
        "Motif",
        ("Frobisher", "DefaultButton", "Subject", "Organization", "example"),
    ),
    "whom the post replies to": (
        "Re: Kestrel engines",
        "Ottilie Brandt reveals her feelings:\n"
        "> The Kestrel engine is a lemon.\n"
        "Ottilie Brandt is wrong about the Kestrel engine. Ask anyone but Ottilie Brandt: the Kestrel engine "
        "runs for years, whatever Ottilie Brandt says about the Kestrel.\n",
        "Kestrel",
        ("Brandt",),
    ),
    "a crossposted article's author, who signs it": (
        "Zentrix modem for sale",
        "[ Author was Linus Farrow ]\n"
        "Selling my Zentrix modem. Linus Farrow bought the Zentrix new, and Linus Farrow never used the "
        "Zentrix much.\n--\nLinus Farrow\nFarrow Computing\n",
        "Zentrix",
        ("Farrow",),
    ),
    "units and old pronouns": (
        "Zentrix board",
        "My Zentrix board runs at 33 Mhz, and at 33 Mhz the Zentrix stays cool. It has a 120 Meg Hard "
        "drive, and the 120 Meg Hard drive is quiet. The Zentrix maker wrote a prayer on the box: Thy "
        "board is fast, and Thy board is cool, and Thy fan is quiet.",
        "Zentrix",
        ("Mhz", "Meg", "Thy"),
    ),
}


@pytest.mark.parametrize("case", sorted(FORUM_NOISE))
def test_forum_noise_never_becomes_a_tag(case: str):
    title, text, subject, junk = FORUM_NOISE[case]
    labels = {t.label for t in auto_tags(title, text)}
    assert subject in labels  # the post's own subject survives
    assert not [label for label in labels if any(word in label for word in junk)], labels


def test_misspelt_country_joins_the_country():
    text = (
        "Azerbaijan and Armenia met again. Talks in Azarbaijan stalled, and Azerbadjan said more talks "
        "would follow. Armenia agreed."
    )
    keys = [t.key for t in auto_tags("Armenia and Azerbaijan talk", text)]
    assert "azerbaijan" in keys and "azarbaijan" not in keys and "azerbadjan" not in keys


def test_a_word_said_three_times_is_not_a_topic():
    text = (
        "My printer prints page numbers at the top. This business of page numbers is odd. Any business tips?"
    )
    assert "Business" not in {t.label for t in auto_tags("Page numbering problem", text)}


def test_shouting_and_first_names_alone_are_not_tags():
    text = (
        "Jim asked about the SIPPs FOR SALE again. Jim wants them. The SIPPs FOR SALE are cheap, "
        "and Jim said so.\nJim"
    )
    labels = {t.label for t in auto_tags("Memory for sale", text)}
    assert "Jim" not in labels and "SIPPs FOR SALE" not in labels


# --- everyday words, headings, pieces of names, places that only describe ----------------------------------
# (case, title, text, labels that must be there, labels that must not)
LABEL_CASES = [
    (
        "an everyday word capitalized once is not a name",
        "Corner shots",
        "Our defenceman Lars Vendberg took the Corner shot again last night, and Vendberg scored twice. "
        "The Covenant of the league says nothing about it. Vendberg said he would keep doing it.",
        {"Lars Vendberg"},
        {"Corner", "Covenant"},
    ),
    (
        "an everyday word the text keeps capitalizing is a name",
        "Striker leaves Orchard",
        "The striker left Orchard for Kestrel last summer. Kestrel paid a record fee, and Orchard fans "
        "were angry. Kestrel now lead the table, four points clear of Orchard, and Kestrel fans cheer.",
        {"Orchard", "Kestrel"},
        set(),
    ),
    (
        "phrases only at the start of lines are headings",
        "Zentrix modem works",
        "Thanks to everyone who answered about the Zentrix modem.\n\n"
        "Modem Setup Notes\n"
        "The Zentrix modem works at 9600 baud once the Zentrix driver is installed from the disk.\n\n"
        "Quillon Varga Phone\n"
        "Quillon Varga Phone\n",
        {"Zentrix"},
        {"Modem Setup Notes", "Quillon Varga Phone", "Quillon Varga"},
    ),
    (
        "a piece of a title is not a tag",
        "Quimbleys top box office",
        "The comedy Meet The Quimbleys topped the box office again. Meet The Quimbleys took $20m, and "
        "director Ansel Pryce said Meet The Quimbleys would get a sequel. Pryce thanked the fans, and Pryce's cast too. Pryce will direct it.",
        {"Ansel Pryce"},
        {"Meet"},
    ),
    (
        "national teams playing each other are not world news",
        "Ireland beat England",
        "Ireland beat England 19-13 in the Six Nations match in Dublin. Ireland led at half-time, and "
        "England, who lost to France, are now fourth. France play Ireland next, and the England coach "
        "praised his team and the fans.",
        {"Sport"},
        {"World"},
    ),
    (
        "countries at a summit are world news",
        "Leaders sign treaty",
        "Ireland and England signed a treaty at the summit in Dublin. France and Wales sent diplomats, "
        "and the foreign ministers of Scotland and Italy discussed refugees and the border conflict.",
        {"World"},
        set(),
    ),
    (
        "words after a model number are a piece of the product's name",
        "Zorvex server will not boot",
        "Our Zorvex Server 286A Level II stopped booting after the move. The Zorvex support line said "
        "the Zorvex Server 286A Level II needs its serial number entered again. Zorvex charges for it.",
        {"Zorvex Server"},
        {"Level II"},
    ),
    (
        "a year does not make the next name a piece of another",
        "Cup final",
        "The Harlan Cup 1993 Winnipeg final was sold out. In 1993 Winnipeg won the Harlan Cup again, "
        "and Winnipeg will host it next year. Winnipeg is ready.",
        {"Winnipeg"},
        set(),
    ),
    (
        "weekday abbreviations from date lines are not tags",
        "Quarnet gateway down",
        "Mail to the Postmaster bounced. The Postmaster Thu reply said the Quarnet gateway was down.\n"
        "The Quarnet gateway came back on Mon and the Quarnet staff said Tue would be quiet. Mon was busy.",
        {"Quarnet"},
        {"Mon", "Tue", "Thu", "Postmaster Thu"},
    ),
    (
        "two swapped letters join the country, an everyday word never does",
        "Isreal and Jerusalem",
        "Isreal has a right to Jerusalem, I think. Isreal was attacked, and the Liberal view of Isreal is odd. "
        "Isreal will survive.",
        {"Israel"},
        {"Isreal", "Liberia"},
    ),
    (
        "a language is not its country",
        "Tolvane on the hanging of Judas",
        "The Greek word for hanging is used twice by Tolvane. In the Greek text Tolvane reads it as choking, "
        "but the word means more in Greek. Tolvane's commentary on the Greek original is long.",
        {"Tolvane"},
        {"Greece"},
    ),
    (
        "credentials and clerical abbreviations are not tags",
        "A new parish priest",
        "Fr Dunmore said Mass. Fr Dunmore has a PhD, and Fr Dunmore's PhD was in history. Fr Dunmore left.",
        set(),
        {"Fr", "PhD"},
    ),
    (
        "a place that only describes someone is not a subject",
        "Velvex win three Harlow prizes",
        "US rap duo Velvex won three prizes at the Harlow Awards. Velvex thanked their fans, and "
        "Swedish singer Anna Brekke won best newcomer. Velvex beat US band Moxie Tide and Swedish "
        "group Larkspur, and Velvex will tour next year.",
        {"Velvex"},
        {"United States", "Sweden"},
    ),
    (
        "a place named as the subject stays",
        "House prices rise",
        "UK house prices rose again in March. Prices in the UK are now 10% higher than a year ago, the "
        "fastest rise in the UK since 2002. Buyers in the UK may now wait.",
        {"United Kingdom"},
        set(),
    ),
    (
        "a sentence opener is dropped, but never from a place name",
        "Planes searched",
        "Search Turkish planes? Ankara said the Turkish inspectors would. New York City is home to the "
        "Varnish Five, and the band thanked New York fans. Anthony Pell, M.D., said the M.D. title helped.",
        set(),
        {"Turkish", "York City", "M.D."},
    ),
    (
        "a source, a piece of an 'of the' title and a second form of a name are not tags",
        "Holmes wins in Madrid",
        "Britain's Kelly Holmes won the race in Madrid on Sunday. Holmes said she was ready, and K Holmes "
        "topped the list again, the organisers told the Daily Clarion. Holmes told the Daily Clarion she "
        "would race in Madrid again. She sang on Top of the Pops, and Top of the Pops will show it. "
        "Madrid cheered her.",
        {"Kelly Holmes", "Madrid"},
        {"K Holmes", "Daily Clarion", "Top", "Pops"},
    ),
    (
        "a name that ends a longer one is one entity with it, and a lowercase compound describes it",
        "A blessing for the race",
        "The Roman Catholic Church blessed the race, and London-based Vantoro Sports paid for it. A priest of "
        "the Roman Catholic Church said the Catholic Church was proud, and London-based Vantoro Sports said "
        "Vantoro Sports was pleased. Vantoro Sports will pay again, the Catholic Church said.",
        {"Catholic Church", "Vantoro Sports"},
        {"Roman Catholic Church", "London-based Vantoro Sports"},
    ),
    (
        "someone of something keeps both names",
        "Hamm wins world award",
        "Mia Hamm of the United States won the award. Hamm beat Birgit Prinz. Hamm retired after the final, "
        "and the United States team thanked Hamm. The United States will miss her, and the United States "
        "coach said so.",
        {"Mia Hamm", "United States"},
        set(),
    ),
    (
        "a transposed country joins it, and a word of two letters is not a tag",
        "Arms and Lybia",
        "The US sold arms to Lybia. Lybia was then accused, and Lybia denied it. Lybia asked for talks. The Su and the Su fighters "
        "were shown, and the Su designers spoke.",
        {"Libya"},
        {"Lybia", "Su"},
    ),
    (
        "a name said twice, even in the opening, and never in the title, is a name in passing",
        "Kelmar opens a plant",
        "A plant will be opened by Kelmar Industries, its chief said in Ostrava. Pumps made by Kelmar "
        "Industries sell well, and the plant will double output. Output rose last year, when a plant near "
        "Ostrava closed. In spring Kelmar Industries hires, and Kelmar Industries trains.",
        {"Kelmar Industries"},
        {"Ostrava"},
    ),
    (
        "a name of three words the title does not use is a piece of something longer until it does",
        "Water bills to rise",
        "Dorvane Council objected when the Pellam Valley Water Board raised its charges. The Pellam Valley "
        "Water Board said pipes were old, and the Pellam Valley Water Board will invest. Dorvane Council "
        "will appeal, said Dorvane Council, and Dorvane Council will win.",
        {"Dorvane Council"},
        {"Pellam Valley Water Board"},
    ),
    (
        "the title vouches for a name of three words",
        "Pellam Valley Water Board raises charges",
        "The Pellam Valley Water Board raised its charges. The board said pipes were old.",
        {"Pellam Valley Water Board"},
        set(),
    ),
    (
        "a two-word demonym is its country, not the second word's",
        "Springboks win awards",
        "South Africa's Dirk Venter was named player of the year. South African rugby has risen, and South "
        "African fans cheered as South Africa won team of the year. South Africa will host the awards.",
        {"South Africa"},
        {"Africa"},
    ),
    (
        "a place is not a tag beside a name that starts with it or its demonym",
        "Bates completes takeover",
        "Ken Bates has completed his takeover of Leeds United, and the European Union says its rules on clubs "
        "will not apply. Bates said Leeds would rise again, and Leeds fans cheered. Leeds United were "
        "relegated last year, and Ken Bates will lead Leeds United. Leeds United fans hope. The European Union and Europe's leagues "
        "spoke, and Europe will watch. The European Union said so, and the European Union will check.",
        {"Ken Bates", "Leeds United", "European Union"},
        {"Leeds", "Europe"},
    ),
    (
        "a title naming a long name's last word vouches for it, an everyday last word does not",
        "Andersen tales reissued at the school",
        "The stories of Hans Karl Andersen are loved. A publisher reissues Hans Karl Andersen, and the tales "
        "of Hans Karl Andersen sell well at Norwell High School, where Norwell High School pupils and "
        "Norwell High School staff read them. Hans Karl Andersen is on the syllabus.",
        {"Hans Karl Andersen"},
        {"Norwell High School"},
    ),
    (
        "an occupation before a name is a description",
        "Evans sells his station",
        "Broadcaster Leo Evans has begun selling his station. Novelist Ada Brill bought it, and Evans said "
        "Ada Brill paid well. Ada Brill will run it, and Ada Brill hires.",
        {"Leo Evans", "Ada Brill"},
        {"Broadcaster Leo Evans", "Novelist Ada Brill"},
    ),
]

# A letter: a hard-wrapped post, each line its own paragraph once dropped as plain text.
LETTER = (
    "I bought the Zentrix 2400 last week and it drops the line.\n\n"
    "The Quorlan Systems card did the same in my old machine, and Quorlan Systems\n\n"
    "support said Quorlan Systems cards hate long cables. My cousin in Canada has one\n\n"
    "too. Quorlan Systems never answered him either, so he called Canada's consumer line.\n\n"
    "Israel came up at work, since Israel makes the chips: Israel ships them, Israel tests them.\n\n"
    "The Zentrix manual says nothing, and the Zentrix helpline is closed. Anyone know a fix?"
)


def test_a_letter_is_tagged_by_the_names_of_its_subject_line():
    labels = {t.label for t in auto_tags("Zentrix modem drops the line", LETTER)}
    assert "Zentrix" in labels  # the subject line names it, and the body comes back to it
    # the body's own names, however often it repeats them, known to the gazetteer or not
    assert not labels & {"Quorlan Systems", "Canada", "Israel"}, labels
    # a subject line's name the gazetteer knows needs no more; an unknown one must come back in the body
    labels = {t.label for t in auto_tags("Zentrix modem from Israel vs Quorlan Systems card", LETTER)}
    assert {"Zentrix", "Israel", "Quorlan Systems"} <= labels
    once = LETTER.replace("The Zentrix manual says nothing, and the Zentrix helpline is closed. ", "")
    assert "Zentrix" not in {t.label for t in auto_tags("Zentrix modem drops the line", once)}
    # The same words as one article's paragraphs: Quorlan Systems, said four times, is a subject.
    article = {t.label for t in auto_tags("Zentrix modem drops the line", " ".join(LETTER.split()))}
    assert "Quorlan Systems" in article


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"), [c[1:] for c in LABEL_CASES], ids=[c[0] for c in LABEL_CASES]
)
def test_automatic_tags_are_names_not_capitalized_words(title: str, text: str, present: set, absent: set):
    labels = {t.label for t in auto_tags(title, text)}
    assert present <= labels, labels
    assert not labels & absent, labels


def test_mac_and_macintosh_are_one_tag():
    text = "The Macintosh turned 20. Its designer said the Mac was meant to be cheap; the Mac sold well."
    keys = [t.key for t in auto_tags("Apple Mac designer dies", text)]
    assert keys.count("macintosh") == 1 and "mac" not in keys


def test_contact_lines_and_postal_addresses_are_not_the_subject():
    text = (
        "The Velmont seminar on ocean graphics is open to all. Velmont papers are due in May, and the "
        "Velmont committee will publish them.\n\n"
        "Submit abstracts to:\n\n"
        "     Orla Quimby\n"
        "     Velmont Research Center, Code 2042\n"
        "     Bethesda, Maryland  20084-5000\n\n"
        "Fax one copy to Orla Quimby at (708) 491-5258, or\n"
        "email one copy to Orla Quimby at oquimby@velmont.example.org\n"
    )
    # as dropped, and as the reader's text of a plain-text drop gives it (a blank line after every line)
    for body in (text, text.replace("\n", "\n\n")):
        labels = {t.label for t in auto_tags("Velmont seminar: call for papers", body)}
        assert "Velmont" in labels
        assert "Orla Quimby" not in labels and "Maryland" not in labels


def test_a_name_first_said_after_the_opening_is_not_a_tag():
    # Made-up names: the Orvell Trust is the subject; Dario Lentz comes up in an aside, after the opening.
    opening = (
        "The Orvell Trust opened its new river museum on Saturday. The Orvell Trust spent four years on the "
        "building, and the Orvell Trust says the river needs more visitors to stay clean and open. "
    )
    aside = "Later a guide recalled that Dario Lentz once rowed here, and that Dario Lentz fell in."
    labels = {t.label for t in auto_tags("A museum by the river", opening * 2 + aside)}
    assert "Orvell Trust" in labels
    assert "Dario Lentz" not in labels

    # However often the text comes back to him after its first two sentences.
    often = opening * 2 + aside + " Dario Lentz still holds the record, and Dario Lentz visits."
    assert "Dario Lentz" not in {t.label for t in auto_tags("A museum by the river", often)}
    # Named in the opening, and as often, he is a subject; the title vouches for him anywhere.
    again = " Dario Lentz will row again."
    early = "Dario Lentz, who once rowed here, came back on Saturday. " + opening + aside + again
    assert "Dario Lentz" in {t.label for t in auto_tags("A museum by the river", early)}
    assert "Dario Lentz" in {t.label for t in auto_tags("Dario Lentz rowed here", opening * 2 + aside)}
    # "Mr." or "St." does not end a sentence of the opening.
    second = (
        "Mr. Orvell of St. Kilda founded the trust. Dario Lentz rowed here on Saturday. "
        + opening
        + aside
        + again
    )
    assert "Dario Lentz" in {t.label for t in auto_tags("A museum by the river", second)}
    third = second.replace("Mr. Orvell of St. Kilda founded", "Orvell founded it. He found")
    assert "Dario Lentz" not in {t.label for t in auto_tags("A museum by the river", third)}


# --- fifth round: topics by phrase, faiths by their people, newspapers, and names cut by particles ----------
def test_a_topic_phrase_counts_only_as_a_whole():
    # "world", "office", "box", "interest" and "net" alone are no topic's words; "World Cup", "box office",
    # "interest rates" and "net zero" are.
    aside = (
        "The charity's European office sent a box of letters to its central office. Staff there take an interest "
        "in Europe and show the letters to the office star, a volunteer. In Europe the central office is busy, "
        "and the European office is calm. "
    )
    labels = {t.label for t in auto_tags("A charity's year", aside * 2)}
    assert not labels & {"Entertainment", "Economy"}, labels
    cup = "The World Cup final drew fans to the stadium, and the World Cup squad met the coach after the match. "
    assert "Sport" in {t.label for t in auto_tags("Final day", cup * 2)}


def test_a_keyword_beginning_matches_only_words_of_its_topic():
    # "euro*" would be "Europe", "exam*" "example", "author*" "authorities", "match*" "matching".
    text = (
        "Europeans and European authorities, for example in Europe, are matching rules. For example, the "
        "authority said the examples were matched, and the authorities authorised it, matching Europe's examples. "
    )
    labels = {t.label for t in auto_tags("A year of rules", text * 2)}
    assert not labels & {"Economy", "Education", "Culture", "Sport"}, labels


def test_a_faith_is_a_tag_when_named_not_when_it_only_describes():
    players = (
        "Which Jewish players made the majors? Orrin Vell was a Jewish catcher, and the Jewish shortstop Abe "
        "Kessler played for Dorset. Jewish fans remember both. "
    )
    assert "Judaism" not in {t.label for t in auto_tags("Jewish baseball players", players)}
    faith = (
        "Judaism teaches that the Sabbath is holy. Jews keep it from Friday evening, and Judaism's laws "
        "say how. Many Jews light candles, and Judaism counts the day from sunset. "
    )
    assert "Judaism" in {t.label for t in auto_tags("Keeping the Sabbath", faith)}


def test_a_newspaper_is_the_source_unless_the_title_names_it():
    text = (
        "Tobacco makers in Varlonia must stop building factories, the Varlonia Daily reported on Monday, "
        "quoting the regulator. The Varlonia Daily said the ban would last five years. The ban, the Varlonia "
        "Daily said, hits foreign firms, and the Varlonia Daily expects protests. "
    )
    assert "Varlonia Daily" not in {t.label for t in auto_tags("Varlonia bans new factories", text)}
    assert "Varlonia Daily" in {t.label for t in auto_tags("Varlonia Daily sold to investors", text)}


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        (  # "for" goes on with an organization's name; the whole name is too long to stand without the title
            "Think tank report",
            "The Center for Policy Research published a report on Monday. The Center for Policy Research said "
            "taxes must rise, and the Center for Policy Research will publish more. ",
            set(),
            {"Center", "Policy Research"},
        ),
        (  # a name particle joins: "dal", "di", "della"
            "Dal Maso returns",
            "David dal Maso returns to the Varnel side on Saturday. Dal Maso missed three games, but David dal "
            "Maso is fit, and dal Maso will start. ",
            {"David dal Maso"},
            {"Maso"},
        ),
        (  # an everyday adjective before a demonym at the start of a sentence describes
            "Legendary Dutch coach Verhoek dies",
            "Legendary Dutch coach Piet Verhoek has died aged 77. Verhoek won three titles, and Verhoek led the "
            "Dutch side twice. Verhoek's teams were feared. ",
            {"Piet Verhoek"},
            {"Legendary Dutch"},
        ),
        (  # a surname's first half in the title is the hyphenated surname
            "Kelroy launches a party",
            "Former host Robert Kelroy-Sand has launched a new party. Mr Kelroy-Sand said it would win seats, and "
            "Kelroy-Sand will lead it. Kelroy-Sand spoke in Leeds. Kelroy thanked his staff. ",
            {"Robert Kelroy-Sand"},
            {"Kelroy"},
        ),
        (  # a score after a name is not part of it
            "Varro beats rival Dunst",
            "Ivo Varro beat his rival Greg Dunst 4-6 7-6 6-4 in Doha on Tuesday. Dunst led early, and Dunst had "
            "a match point. Dunst said he was tired. ",
            {"Greg Dunst"},
            {"Dunst"},
        ),
    ],
)
def test_names_keep_their_whole_form(title: str, text: str, present: set, absent: set):
    labels = {t.label for t in auto_tags(title, text)}
    assert present <= labels, labels
    assert not labels & absent, labels
