"""Generated corpora for the duplicate and cluster tests, made from text every Python install carries.

The docstrings of standard-library modules are real English prose on a few themes (networking, data
formats, text processing, debugging...), so two of them on one theme are a fair "same topic, not a duplicate"
pair. Planted duplicates are derived from them by the edits people make to copies.
"""

from __future__ import annotations

import importlib
import inspect
import random
import re
import textwrap

# Grouped by theme: modules of one theme are the unrelated same-topic files.
THEMES = {
    "network": ["http.client", "urllib.request", "ftplib", "smtplib", "socketserver", "http.server", "ssl"],
    "formats": ["json", "csv", "plistlib", "shelve", "configparser", "uuid"],
    "text": ["re", "difflib", "string", "tokenize"],
    "debugging": ["pdb", "timeit", "unittest", "doctest", "trace", "inspect"],
    "numbers": ["statistics", "random", "heapq", "hashlib"],
    "system": ["subprocess", "tempfile", "sched", "copy", "gc", "socket"],
}
MAX_CHARS = 2_400


def module_text(name: str) -> str:
    """A module's docstring: whole paragraphs up to MAX_CHARS."""
    doc = inspect.getdoc(importlib.import_module(name)) or ""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", doc) if p.strip()]
    out, size = [], 0
    for p in paragraphs:
        if out and size + len(p) > MAX_CHARS:
            break
        out.append(p)
        size += len(p) + 2
    return "\n\n".join(out)


def reformat(text: str) -> str:
    """Same words, other layout: prose re-wrapped (indented blocks such as code and diagrams kept as they are,
    as an editor would), trailing spaces, extra blank lines, CRLF line ends."""
    paragraphs = [
        p if any(line[:1].isspace() for line in p.splitlines()) else textwrap.fill(" ".join(p.split()), width=58)
        for p in text.split("\n\n")
    ]
    return ("\n\n\n".join(p.replace("\n", "  \n") for p in paragraphs) + "\n").replace("\n", "\r\n")


def small_edits(text: str, rng: random.Random) -> str:
    """A few words changed and one sentence added, as in a lightly edited copy."""
    words = text.split(" ")
    for i in rng.sample(range(len(words)), k=min(4, len(words))):
        if words[i].isalpha():
            words[i] = words[i].upper() if rng.random() < 0.5 else words[i] + "s"
    return " ".join(words) + "\n\nThis copy was revised for the new release."


def reorder(text: str, rng: random.Random) -> str:
    """The same sections in another order (sentences, when there is a single section)."""
    parts = text.split("\n\n")
    if len(parts) < 2:
        parts = re.split(r"(?<=[.!?])\s+", text)
        joiner = " "
    else:
        joiner = "\n\n"
    shuffled = parts[:]
    while len(parts) > 1 and shuffled == parts:
        rng.shuffle(shuffled)
    return joiner.join(shuffled)


def planted_duplicates(seed: int = 0) -> tuple[dict[str, str], list[set[str]]]:
    """({path: text}, families): each family is a set of paths that are copies of one another.

    The first modules of each theme get planted copies (an exact copy, a reformatted one, an edited one,
    a reordered one, in rotation); the others stay single, as same-topic distractors.
    """
    rng = random.Random(seed)
    files: dict[str, str] = {}
    families: list[set[str]] = []
    kinds = ["exact", "format", "edit", "reorder"]
    turn = 0
    for theme, modules in THEMES.items():
        for position, name in enumerate(modules):
            text = module_text(name)
            base = f"/docs/{theme}/{name}.txt"
            files[base] = text
            if position >= 3:
                continue
            family = {base}
            for _ in range(2):
                kind = kinds[turn % len(kinds)]
                turn += 1
                copy = {
                    "exact": lambda t: t,
                    "format": reformat,
                    "edit": lambda t: small_edits(t, rng),
                    "reorder": lambda t: reorder(t, rng),
                }[kind](text)
                path = f"/docs/copies/{name} ({kind}).txt"
                files[path] = copy
                family.add(path)
            families.append(family)
    return files, families


def pair_set(groups: list[set[str]]) -> set[frozenset[str]]:
    return {frozenset((a, b)) for g in groups for a in g for b in g if a < b}


# Four clearly separate topics, four files each, each file on its own sub-topic.
TOPIC_FILES = {
    "cooking/sourdough.md": "Sourdough bread rises with a starter of wild yeast instead of commercial yeast. Feed the "
    "starter with flour and water every day, mix it into the dough, let the dough rest overnight and bake it in a "
    "hot oven until the crust is dark and crackling.",
    "cooking/risotto.md": "A good risotto needs short-grain rice toasted in butter with onion. Add warm stock one "
    "ladle at a time and stir patiently so the rice releases its starch. Finish with parmesan cheese and a knob of "
    "cold butter.",
    "cooking/curry.md": "For a vegetable curry, fry onions, garlic and ginger, then add cumin, turmeric and "
    "coriander. Simmer potatoes, chickpeas and tomatoes in coconut milk until tender and serve with rice.",
    "cooking/pancakes.md": "Whisk eggs, milk and flour into a smooth batter for pancakes. Heat a pan with a little "
    "butter, pour in a thin layer, flip once bubbles appear and serve with maple syrup or lemon and sugar.",
    "space/mars.md": "Mars is a cold desert planet with a thin carbon dioxide atmosphere. Rovers have found "
    "evidence of ancient rivers and lakes, and orbiters map the polar ice caps and giant volcanoes such as "
    "Olympus Mons.",
    "space/black-holes.md": "A black hole forms when a massive star collapses under its own gravity. Nothing, not "
    "even light, escapes past the event horizon, and astronomers detect black holes by the hot gas swirling "
    "around them and by gravitational waves.",
    "space/telescopes.md": "Space telescopes orbit above the atmosphere, which blurs and absorbs starlight. "
    "Hubble observed in visible light, while the James Webb telescope uses a large gold mirror to see infrared "
    "light from the earliest galaxies.",
    "space/moon-landing.md": "In July 1969 the Apollo 11 astronauts landed on the Moon. Neil Armstrong and Buzz "
    "Aldrin walked on the lunar surface, collected rocks and planted a flag while Michael Collins orbited in the "
    "command module.",
    "music/violin.md": "Learning the violin starts with holding the bow lightly and drawing it straight across "
    "the strings. Practise scales slowly every day, tune the instrument before each session and rosin the bow "
    "hair so it grips the strings.",
    "music/orchestra.md": "A symphony orchestra seats strings at the front, woodwinds and brass behind them and "
    "percussion at the back. The conductor sets the tempo with a baton and shapes the dynamics of each "
    "movement during rehearsals and concerts.",
    "music/jazz.md": "Jazz grew in New Orleans from blues and ragtime. Musicians improvise solos over chord "
    "changes, trading choruses on saxophone, trumpet and piano while the bass and drums keep a swinging rhythm.",
    "music/guitar-chords.md": "Beginners on the guitar learn open chords such as G, C, D and E minor. Press the "
    "frets with your fingertips, strum evenly with a pick and switch chords in time with a metronome until the "
    "changes sound smooth.",
    "finance/budget.md": "A household budget lists monthly income and every expense, from rent to groceries. "
    "Track spending for a few months, set limits for each category and put aside savings before spending on "
    "extras.",
    "finance/index-funds.md": "Index funds buy every share in a stock market index, so investors own a small "
    "piece of many companies. Their fees are low and over decades they have often beaten actively managed funds.",
    "finance/mortgage.md": "A mortgage is a loan secured on a house. The interest rate may be fixed or variable, "
    "monthly repayments cover interest and part of the principal, and a larger deposit usually earns a better "
    "rate from the bank.",
    "finance/taxes.md": "Income tax is charged on wages, pensions and investment gains above a personal "
    "allowance. Keep receipts for deductible expenses and file your tax return before the deadline to avoid "
    "penalties.",
}
TOPIC_OF = {path: path.split("/")[0] for path in TOPIC_FILES}
TOPIC_WORDS = {
    "cooking": {
        "bread",
        "dough",
        "rice",
        "butter",
        "flour",
        "onion",
        "curry",
        "pancakes",
        "starter",
        "yeast",
        "milk",
        "eggs",
        "stock",
        "serve",
        "cheese",
        "batter",
    },
    "space": {
        "planet",
        "mars",
        "telescope",
        "telescopes",
        "light",
        "moon",
        "black",
        "hole",
        "holes",
        "astronomers",
        "galaxies",
        "gravity",
        "star",
        "lunar",
        "orbit",
        "rovers",
        "apollo",
    },
    "music": {
        "violin",
        "bow",
        "strings",
        "orchestra",
        "jazz",
        "guitar",
        "chords",
        "chord",
        "conductor",
        "musicians",
        "solos",
        "scales",
        "instrument",
        "rhythm",
        "saxophone",
        "piano",
        "tempo",
        "frets",
    },
    "finance": {
        "tax",
        "income",
        "mortgage",
        "funds",
        "index",
        "budget",
        "interest",
        "loan",
        "rate",
        "savings",
        "spending",
        "investors",
        "fees",
        "expenses",
        "bank",
    },
}
# Queries worded unlike their target file, each with the one file that answers it.
TOPIC_QUERIES = {
    "how to feed a starter for homemade bread": "cooking/sourdough.md",
    "creamy Italian rice dish stirred with broth": "cooking/risotto.md",
    "spicy stew with chickpeas and coconut": "cooking/curry.md",
    "breakfast made from a runny mixture of eggs cooked in a frying pan": "cooking/pancakes.md",
    "the red planet's volcanoes and dried-up lakes": "space/mars.md",
    "collapsed stars whose gravity traps light": "space/black-holes.md",
    "observatories in orbit looking at infrared light": "space/telescopes.md",
    "first people to walk on the moon": "space/moon-landing.md",
    "how to practise a bowed string instrument": "music/violin.md",
    "who stands in front of the musicians waving a stick": "music/orchestra.md",
    "improvised music born in Louisiana": "music/jazz.md",
    "easy chords for a beginner guitarist": "music/guitar-chords.md",
    "plan monthly spending and saving": "finance/budget.md",
    "cheap passive investing in the whole stock market": "finance/index-funds.md",
    "borrowing money from a bank to buy a home": "finance/mortgage.md",
    "deadline for filing a return on my earnings": "finance/taxes.md",
}


# One note mentions ERR_4711 in passing; many others are about errors with neighbouring codes. Meaning pulls
# a query "ERR_4711" towards the error notes; only exact matching finds the right file.
IDENTIFIER_TARGET = "kitchen/oven.md"
IDENTIFIER_FILES = {
    IDENTIFIER_TARGET: "The new oven heats evenly and bakes bread well. Its display showed ERR_4711 once after "
    "a power cut; unplugging it for a minute cleared the message. Clean the glass door with baking soda.",
    **{
        f"ops/incident-{code}.md": f"Incident report: the upload service failed with error code ERR_{code} when "
        f"the storage volume filled up. The on-call engineer restarted the worker and the error cleared."
        for code in (4710, 4712, 4713, 4701, 4811, 4721, 4719, 4171, 7411, 4702, 4714, 4715)
    },
}


# --- release notes: a same-topic family that shares a template and wording habits, not text ------------

_COMMANDS = "log diff merge rebase fetch push clone status commit stash blame grep bisect tag branch".split()
_OPTIONS = "verbose quiet dry-run porcelain stat patience ignore-space follow depth prune atomic sparse".split()
_PURPOSES = [
    "show the size of each object",
    "skip merge commits",
    "limit the output to one line per change",
    "read the list of paths from a file",
    "stop after the first failure",
    "print the configuration in use",
    "keep the original author date",
    "ask before overwriting local changes",
    "sort the result by date",
    "honour the pager setting",
    "work in a repository without a worktree",
    "report progress on a terminal",
]
_FIXES = [
    "crashed when the index was empty",
    "leaked memory while reading packs",
    "printed a wrong hint after a conflict",
    "ignored the exclude file",
    "did not quote paths with spaces",
    "hung on a slow network",
    "lost the exit code",
    "miscounted renamed files",
    "read past the end of a buffer",
    "accepted an invalid object name",
]


def release_notes(n_versions: int = 8, seed: int = 0) -> dict[str, str]:
    """Release notes of successive versions, like git's: the same headings and sentence patterns in every one,
    each listing its own changes; each maintenance release (vX.1) lists fixes that the next feature release
    repeats under "Fixes since", as real notes do."""
    rng = random.Random(seed)

    def feature() -> str:
        return (
            f'* "git {rng.choice(_COMMANDS)}" learned the "--{rng.choice(_OPTIONS)}" option to '
            f"{rng.choice(_PURPOSES)}."
        )

    def fix() -> str:
        return (
            f'* "git {rng.choice(_COMMANDS)} --{rng.choice(_OPTIONS)}" {rng.choice(_FIXES)} when run '
            f"{rng.choice(['from a subdirectory', 'on a shallow clone', 'with many remotes', 'in a submodule'])}; "
            f"this has been corrected (merge {rng.randrange(16**7):07x} later to maint)."
        )

    files = {}
    for v in range(n_versions):
        maint = [fix() for _ in range(8)]
        files[f"/notes/RelNotes/2.{v}.1.txt"] = (
            f"Git v2.{v}.1 Release Notes\n==========================\n\n"
            "Fixes since v2.{v}\n-------------\n\n".replace("{v}", str(v))
            + "\n".join(maint)
            + "\n"
        )
        body = [f"Git v2.{v + 1} Release Notes", "==========================", "", "UI, Workflows & Features", ""]
        body += [feature() for _ in range(25)]
        body += ["", "Performance, Internal Implementation, Development Support etc.", ""]
        body += [feature() for _ in range(15)]
        body += ["", f"Fixes since v2.{v}", "-------------", ""] + maint + [fix() for _ in range(30)]
        files[f"/notes/RelNotes/2.{v + 1}.0.txt"] = "\n".join(body) + "\n"
    return files


def prose(n_sentences: int, rng: random.Random, vocabulary: list[str]) -> list[str]:
    """Sentences of random words: no two share a word 4-gram by chance."""
    return [" ".join(rng.choice(vocabulary) for _ in range(12)).capitalize() + "." for _ in range(n_sentences)]


def vocabulary() -> list[str]:
    words = re.findall(r"[a-z]{4,}", " ".join(module_text(m).lower() for ms in THEMES.values() for m in ms))
    return sorted(set(words))
