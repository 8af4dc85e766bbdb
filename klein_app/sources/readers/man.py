"""Man pages (roff with the man or mdoc macros) -> readable text, section headings kept, roff removed.

A small renderer of its own rather than groff: the same bytes give the same text on every machine (groff's
output moves with its version and the terminal width), and nothing is spawned per file. It keeps the source's
line breaks instead of refilling paragraphs, which reads well enough and maps each output line back to the
source line it came from. Requests it does not know are dropped: what is lost is layout, not words.
"""

from __future__ import annotations

import re
import shlex

from klein_app.sources.readers import Document, ReadError

# Section suffixes: ls.1, git-log.1, openssl.1ssl, File::Temp.3perl, foo.man
MAN_NAME = re.compile(r"\.(?:[1-9][a-z0-9]*|man)$", re.IGNORECASE)
_ROFF_START = re.compile(r"^(?:\.\\\"|'\\\"|\.TH\s|\.Dd\s|\.Dt\s|\.SH\s|\.Sh\s|\.so\s)")

_GLYPHS = {
    "em": "—",
    "en": "–",
    "bu": "•",
    "aq": "'",
    "dq": '"',
    "lq": "“",
    "rq": "”",
    "oq": "‘",
    "cq": "’",
    "co": "©",
    "rg": "®",
    "tm": "™",
    "hy": "-",
    "mi": "-",
    "pl": "+",
    "mu": "×",
    "di": "÷",
    "<=": "≤",
    ">=": "≥",
    "!=": "≠",
    "->": "→",
    "<-": "←",
    "de": "°",
    "ga": "`",
    "aa": "´",
    "ti": "~",
    "ha": "^",
    "rs": "\\",
    "sl": "/",
    "ba": "|",
    "bv": "|",
    "or": "|",
    "sq": "□",
    "fm": "′",
    "dg": "†",
}
_STRINGS = {"Aq": "'", "lq": "“", "rq": "”", "R": "®", "Tm": "™", "Ba": "|", "Le": "≤", "Ge": "≥"}
_ESCAPE = re.compile(
    r"\\(?:"
    r"f(?:\[[^\]]*\]|\(..|.)"  # font changes
    r"|s[-+]?(?:\(\d\d|\[\d+\]|\d)"  # size changes
    r"|\((?P<glyph2>..)"  # \(xx glyph
    r"|\[(?P<glyph>[^\]]*)\]"  # \[name] glyph
    r"|\*(?:\((?P<str2>..)|\[(?P<strn>[^\]]*)\]|(?P<str1>.))"  # strings
    r"|[hvwoNlLDxbXZ]'[^']*'"  # motions, widths, drawing: no words
    r"|n(?:\(..|\[[^\]]*\]|.)"  # number registers
    r"|(?P<char>.)"
    r")"
)
_SIMPLE = {"-": "-", "e": "\\", "\\": "\\", " ": " ", "~": " ", "0": " ", "t": "\t", ".": ".", "'": "'", "`": "`"}

# man(7) macros whose arguments are text: (join without spaces?, i.e. alternating fonts)
_TEXT_MACROS = {
    "B": False,
    "I": False,
    "SM": False,
    "SB": False,
    "BR": True,
    "RB": True,
    "BI": True,
    "IB": True,
    "IR": True,
    "RI": True,
    "UR": False,
    "MT": False,
    "OP": False,
}
_BREAKS = {"PP", "LP", "P", "sp", "HP", "RS", "RE", "Pp", "Lp", "Bl", "El", "Bd", "Ed", "Sp"}
# mdoc(7) callable macros: how each one changes the words that follow it
_MDOC_DROP = {
    "Ar",
    "Cm",
    "Pa",
    "Ic",
    "Ev",
    "Va",
    "Dv",
    "Em",
    "Sy",
    "Li",
    "Ad",
    "Cd",
    "Er",
    "Fa",
    "Fn",
    "Ft",
    "Ms",
    "Tn",
    "An",
    "Lk",
    "Mt",
    "No",
    "Ql",
    "Vt",
    "Ot",
    "Ta",
    "Es",
    "Eo",
    "Ec",
    "Ap",
    "It",
    "D1",
    "Dl",
    "Nd",
    "Lb",
    "In",
    "Fd",
    "Sx",
    "St",
    "Rs",
    "Re",
    "%A",
    "%T",
    "%B",
    "%D",
    "%J",
    "%N",
    "%O",
    "%P",
    "%Q",
    "%R",
    "%U",
    "%V",
    "Bf",
    "Ef",
    "Bk",
    "Ek",
}
_MDOC_WRAP = {
    "Op": ("[", "]"),
    "Oo": ("[", ""),
    "Oc": ("", "]"),
    "Dq": ("“", "”"),
    "Do": ("“", ""),
    "Dc": ("", "”"),
    "Qq": ('"', '"'),
    "Qo": ('"', ""),
    "Qc": ("", '"'),
    "Sq": ("‘", "’"),
    "So": ("‘", ""),
    "Sc": ("", "’"),
    "Pq": ("(", ")"),
    "Po": ("(", ""),
    "Pc": ("", ")"),
    "Aq": ("<", ">"),
    "Ao": ("<", ""),
    "Ac": ("", ">"),
    "Bq": ("[", "]"),
    "Brq": ("{", "}"),
}
_MDOC_CALLABLE = _MDOC_DROP | set(_MDOC_WRAP) | {"Fl", "Nm", "Xr", "Ns", "Pf", "Ux", "Bx", "At", "Fx", "Nx", "Ox"}
_SO_LINK = re.compile(r"\.so\s+(\S+)\s*$")
_COMMENT = re.compile(r'(?<!\\)\\".*')
_PUNCT = {".", ",", ";", ":", "?", "!", ")", "]"}


def is_man_page(name: str, text: str) -> bool:
    """A man page: a section-numbered name and roff at the top (a file called "v1.2" is not one)."""
    if not MAN_NAME.search(name):
        return False
    head = [line for line in text[:4000].splitlines() if line.strip()][:40]
    return any(_ROFF_START.match(line) for line in head)


def inline(text: str) -> str:
    """Roff escapes of one line -> plain characters."""

    def replace(m: re.Match) -> str:
        if m.group("glyph2") or m.group("glyph"):
            name = m.group("glyph2") or m.group("glyph")
            return _GLYPHS.get(name, "")
        name = m.group("str2") or m.group("strn") or m.group("str1")
        if name is not None:
            return _STRINGS.get(name, "")
        char = m.group("char")
        if char is not None:
            return _SIMPLE.get(char, "")
        return ""

    return _ESCAPE.sub(replace, text)


def _args(rest: str) -> list[str]:
    try:
        return shlex.split(rest, posix=True)
    except ValueError:  # an unbalanced quote: plain whitespace split
        return rest.split()


def _mdoc_words(tokens: list[str]) -> str:
    """An mdoc line's words: callable macros applied, punctuation attached to the word before it."""
    out: list[str] = []
    closers: list[str] = []
    glue = False  # the next word joins the previous one (Ns, Pf, Fl's dash)
    i = 0

    def add(word: str) -> None:
        nonlocal glue
        if out and (glue or word in _PUNCT):
            out[-1] += word
        else:
            out.append(word)
        glue = False

    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token in ("Ns", "Ap"):
            glue = True
            if token == "Ap":
                add("'")
                glue = True
            continue
        if token == "Fl":
            add("-")
            glue = i < len(tokens) and tokens[i] not in _MDOC_CALLABLE and tokens[i] not in _PUNCT
            continue
        if token == "Xr" and i < len(tokens):
            name = tokens[i]
            section = tokens[i + 1] if i + 1 < len(tokens) and tokens[i + 1] not in _PUNCT else ""
            i += 2 if section else 1
            add(f"{name}({section})" if section else name)
            continue
        if token in _MDOC_WRAP:
            opening, closing = _MDOC_WRAP[token]
            if opening:
                add(opening)
                glue = True
            if closing and token not in ("Oc", "Dc", "Qc", "Sc", "Pc", "Ac"):
                closers.append(closing)
            elif closing:
                glue = True
                add(closing)
            continue
        if token == "Ux":
            add("UNIX")
            glue = True
            continue
        if token in _MDOC_CALLABLE:
            continue
        add(token)
    for closing in reversed(closers):
        glue = True
        add(closing)
    return " ".join(out)


def _end_of_block(name: str) -> re.Pattern:
    """The line that closes a .de/.am/.ig block: `..` by default; roff allows spaces after the control
    character (`.  .` closes the `.am` that asciidoctor's pages open inside `.if`)."""
    return re.compile(rf"[.']\s*{re.escape(name)}\s*$")


def render_man(source: str) -> list[tuple[int, str]]:
    """(source line number, output line) pairs; blank output lines separate paragraphs."""
    out: list[tuple[int, str]] = []
    skip_until: re.Pattern | None = None  # inside .de/.am/.ig: the line that ends it
    heading_next = False  # .SH with no arguments: the heading is on the next line
    name = ""

    def emit(number: int, line: str) -> None:
        line = line.rstrip()
        if not line and (not out or not out[-1][1]):
            return  # one blank line is a paragraph break; more add nothing
        out.append((number, line))

    for number, raw in enumerate(source.splitlines(), start=1):
        if skip_until is not None:
            if skip_until.match(raw):
                skip_until = None
            continue
        if raw.startswith((".", "'")):
            body = raw[1:].lstrip()
            if body.startswith(('\\"', "\\#")) or not body:
                continue
            macro, _, rest = body.partition(" ")
            macro = macro.strip()
            # a comment after the arguments is no argument (`.ig \" -*- nroff -*-` would otherwise end at a
            # line that never comes, and hide the whole page)
            rest = _COMMENT.sub("", rest).strip()
            if macro in ("de", "de1", "am", "ig"):
                skip_until = _end_of_block(rest.split()[0] if macro == "ig" and rest else ".")
                continue
            if macro in ("SH", "SS", "Sh", "Ss"):
                emit(number, "")
                title = inline(" ".join(_args(rest)))
                if title:
                    emit(number, title)
                else:
                    heading_next = True
                continue
            if macro == "TH":
                args = _args(inline(rest))
                if args:
                    emit(number, f"{args[0]}({args[1]})" if len(args) > 1 else args[0])
                continue
            if macro == "Dt":
                args = _args(inline(rest))
                if args:
                    emit(number, f"{args[0]}({args[1]})" if len(args) > 1 else args[0])
                continue
            if macro == "Nm":
                args = _args(inline(rest))
                if args and not name:
                    name = args[0]
                if not args:
                    args = [name]
                emit(number, _mdoc_words(args))
                continue
            if macro == "Nd":
                emit(number, "— " + _mdoc_words(_args(inline(rest))))
                continue
            if macro in _BREAKS:
                emit(number, "")
                continue
            if macro in ("TP", "IP", "TQ", "It"):
                emit(number, "")
                words = _mdoc_words(_args(inline(rest))) if macro in ("It", "IP") else ""
                if words:
                    emit(number, words)
                continue
            if macro == "br":
                continue
            if macro in _TEXT_MACROS:
                args = _args(rest)
                emit(number, ("" if _TEXT_MACROS[macro] else " ").join(inline(a) for a in args))
                continue
            if macro in _MDOC_CALLABLE:
                emit(number, _mdoc_words(_args(inline(body))))
                continue
            continue  # layout requests (.nf, .fi, .in, .ta, .ds, .nr, .if, .so, ...): no words to keep
        line = inline(raw)
        if heading_next:
            heading_next = False
            emit(number, line.strip())
            continue
        emit(number, line)
    while out and not out[-1][1]:
        out.pop()
    return out


def read_man(source: str) -> Document:
    link = _SO_LINK.match(source.strip())
    if link:
        # `environment.5` is `.so man5/pam_env.conf.5`: the text is indexed where it lives
        raise ReadError(f"a link to the man page {link.group(1)}")
    parts, offsets, units = [], [], []
    length = 0
    for number, line in render_man(source):
        offsets.append(length)
        units.append(number)
        parts.append(line + "\n")
        length += len(line) + 1
    if not parts:
        return Document("", [0], [1], "line")
    return Document("".join(parts), offsets, units, "line")
