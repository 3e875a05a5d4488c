#!/usr/bin/python3
"""Build the pre-training corpus of the demo model, deterministically.

    /usr/bin/python3 tools/demo/corpus.py --out /tmp/lps-demo/corpus.csv

Half of it (by UTF-8 bytes) is Debian prose found on this machine:

* man pages from /usr/share/man/man[1-8] (English only: the translated trees are skipped),
  gzipped roff rendered to plain text here (no `man`/`groff` needed): man and mdoc macros,
  font/size/string escapes, conditionals, macro definitions and tables are handled or dropped;
* documentation from /usr/share/doc: README*, NEWS*, FAQ*, *.txt, *.md, *.rst and *.html
  (tags stripped); copyright, licence, changelog and code files are skipped.

The other half is the `text` column of the demo's TRAINING split (public/demo/data/train.csv),
repeated as often as needed; validation text never enters the corpus.

Selection is reproducible: file lists are sorted, documents are cleaned by fixed rules, capped
in length, filtered for prose (mostly words, mostly ASCII), de-duplicated, shuffled with a
seed and taken until each part reaches its byte budget (at most --family-cap-kb per man-page
family such as `gcloud*` or per /usr/share/doc package, so no single project dominates).

Writes a CSV (`text,source`; Python's csv module, RFC 4180 quoting) that
tools/demo/train_tokenizer.py reads through its `text` column and tools/demo/pretrain.py reads
as one document per row, plus `<out>.stats.json` with the composition.
Only the standard library is needed.
"""
from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import html
import html.parser
import json
import os
import random
import re
import sys
from collections import Counter

from train_tokenizer import read_file_text  # same folder: run as tools/demo/corpus.py

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TRAIN_CSV = os.path.join(REPO, "public", "demo", "data", "train.csv")

# Longest CSV field the csv module reads by default is 131072 characters; stay well below.
MAX_DOC_CHARS = 60_000
MIN_DOC_CHARS = 400

# ---------------------------------------------------------------------------------------------
# roff -> plain text

# Named characters (\(xx and \[xx]) mapped to ASCII; unknown ones are dropped.
ROFF_CHARS = {
    "em": "--", "en": "-", "hy": "-", "mi": "-", "aq": "'", "dq": '"', "lq": '"', "rq": '"',
    "oq": "'", "cq": "'", "bu": "*", "co": "(C)", "rg": "(R)", "tm": "(TM)", "ga": "`",
    "ti": "~", "ha": "^", "rs": "\\", "sl": "/", "mu": "x", "pl": "+", "eq": "=", "lh": "",
    "rh": "", "ba": "|", "br": "|", "bv": "|", "or": "|", "ul": "_", "ru": "_", "dg": "+",
    "sc": "S", "de": " degrees", "fm": "'", "sd": '"', "Fo": "<<", "Fc": ">>", "fo": "<",
    "fc": ">", "->": "->", "<-": "<-", "<=": "<=", ">=": ">=", "!=": "!=", "==": "==",
    "ap": "~", "ct": "c", "Po": "L", "Ye": "Y", "Eu": "EUR", "at": "@", "sh": "#", "Do": "$",
    "lB": "[", "rB": "]", "lC": "{", "rC": "}", "la": "<", "ra": ">", "pc": ".", "12": "1/2",
    "14": "1/4", "34": "3/4", "+-": "+-", "fa": "for all", "te": "there exists",
}
# Predefined strings (\*x, \*(xx, \*[xx]) of the man/mdoc/pod2man macro packages.
ROFF_STRINGS = {
    "lq": '"', "rq": '"', "C`": '"', "C'": '"', "L\"": '"', "R\"": '"', "Tm": "(TM)",
    "R": "(R)", "Aq": "'", "--": "--", "PI": "pi", "Lq": '"', "Rq": '"', "Ba": "|",
    "Le": "<=", "Ge": ">=", "Lt": "<", "Gt": ">", "Pm": "+-", "If": "infinity", "Na": "NaN",
    "q": '"', "S": "", "HF": "", "Am": "&", "Ne": "!=",
}

_ESCAPE = re.compile(
    r"""\\(?:
        (?P<comment>["\#].*$)
      | f(?:\[[^\]]*\]|\(..|.)                       # font
      | s(?:[+-]?\d\d?|\([+-]?\d\d|\[[^\]]*\]|'[^']*')  # size
      | \*(?P<str>\[[^\]]*\]|\(..|.)                 # string
      | \((?P<chr2>..)                               # named character
      | \[(?P<chrb>[^\]]*)\]                         # named character, groff form
      | n[+-]?(?:\[[^\]]*\]|\(..|.)                  # number register
      | [hvwoXZlLDbxRNSHC]'[^']*'                    # delimited escapes
      | [kgmMVYz](?:\[[^\]]*\]|\(..|.)               # misc one-argument escapes
      | (?P<simple>.)
    )""",
    re.VERBOSE,
)
_SIMPLE = {"-": "-", "e": "\\", "\\": "\\", "&": "", "|": "", "^": "", "0": " ", "~": " ",
           " ": " ", "c": "", "%": "", ":": "", "/": "", ",": "", "t": "\t", "{": "", "}": "",
           "'": "'", "`": "`", ".": ".", "a": "", "d": "", "u": "", "p": "", "r": "", "E": ""}


def _escape_replacement(m: re.Match) -> str:
    if m.group("comment") is not None:
        return ""
    if m.group("str") is not None:
        name = m.group("str")
        name = name[1:-1] if name.startswith("[") else name.lstrip("(")
        return ROFF_STRINGS.get(name, "")
    name = m.group("chr2") or m.group("chrb")
    if name is not None:
        if name.startswith("u") and re.fullmatch(r"u[0-9A-Fa-f]{4,6}", name):
            ch = chr(int(name[1:], 16))
            return ch if ch.isprintable() else ""
        return ROFF_CHARS.get(name, "")
    simple = m.group("simple")
    if simple is not None:
        return _SIMPLE.get(simple, simple)
    return ""


def roff_text(s: str) -> str:
    """Roff escapes in one line of text -> plain text."""
    if "\\" not in s:
        return s
    return _ESCAPE.sub(_escape_replacement, s)


def roff_args(line: str) -> list[str]:
    """Arguments of a request line (after the macro name), honouring double quotes."""
    args, cur, quoted, i = [], [], False, 0
    started = False
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            cur.append(line[i:i + 2])
            i += 2
            started = True
            continue
        if quoted:
            if ch == '"':
                if i + 1 < len(line) and line[i + 1] == '"':
                    cur.append('"')
                    i += 2
                    continue
                quoted = False
            else:
                cur.append(ch)
        elif ch == '"' and not started:
            quoted = True
            started = True
        elif ch in " \t":
            if started:
                args.append("".join(cur))
                cur, started = [], False
        else:
            cur.append(ch)
            started = True
        i += 1
    if started:
        args.append("".join(cur))
    return args


# mdoc macro names that may appear as callable words inside other mdoc lines.
MDOC_CALLABLE = set(
    "Ac Ad An Ao Ap Aq Ar At Bc Bo Bq Brc Bro Brq Bsx Bx Cd Cm Dc Do Dq Dv Dx Ec Em En Eo Er Es "
    "Ev Ex Fa Fc Fl Fn Fo Fr Ft Fx Ic In Lb Li Lk Ms Mt Nm No Ns Nx Oc Oo Op Ot Ox Pa Pc Pf Po "
    "Pq Qc Ql Qo Qq Sc So Sq St Sx Sy Tn Ux Va Vt Xc Xo Xr".split())
PUNCTUATION = re.compile(r"^[,.;:)\]?!]+$")
MDOC_NAMES = {"Ux": "UNIX", "Bx": "BSD", "Ox": "OpenBSD", "Fx": "FreeBSD", "Nx": "NetBSD",
              "Dx": "DragonFly", "Bsx": "BSD/OS", "At": "AT&T UNIX"}
# man/mdoc/pod2man requests whose line is dropped (layout only or invisible).
DROP_REQUESTS = set(
    "TH Dd Dt Os ft ps vs ne ti in ll hy nh ad na ns rs ta tr ds nr rm als so cu ul bd ss fp "
    "IX RS RE Bl El Bd Ed Ek Bk Rs Re PD DT UC AT lf mso pc cc c2 ec eo ev hc hw lt po mk rt "
    "sv os tl chop substring fam fcolor gcolor kern lg char fchar schar tm ab ex nx rd pso "
    "warn open close write opena cp do blm lsm pm rj ce it itc nm nn ch wh dt vpt fl "
    "TQ ME UE YS".split())
# Requests that begin a new paragraph.
PARAGRAPH_REQUESTS = {"PP", "LP", "P", "sp", "HP", "Pp", "Sp", "Lp", "bp", "SY"}
FONT_SPACED = {"B", "I", "SM", "SB"}
FONT_ALTERNATING = {"BR", "BI", "IB", "IR", "RB", "RI"}


class RoffRenderer:
    """A small nroff: enough of the man and mdoc packages to recover the prose."""

    def __init__(self):
        self.paragraphs: list[str] = []
        self.lines: list[str] = []  # current paragraph
        self.fill = True
        self.tag_pending = False
        self.last_if_true = True
        self.skip_until: str | None = None  # end marker of a .de/.ig block
        self.skip_braces = 0  # depth of a false conditional \{ ... \} block
        self.name = ""
        self.spacing = True  # mdoc .Sm off glues words together
        self.glue = False

    # -- output -------------------------------------------------------------------------------
    def text(self, s: str) -> None:
        s = re.sub(r"[ \t]+", " ", s).strip() if self.fill else s.rstrip().replace("\t", "    ")
        if not s:
            return
        if not self.spacing and self.glue and self.lines and self.lines[-1] != "\n":
            self.lines[-1] += s
            return
        self.glue = True
        if self.tag_pending:
            self.lines.append(s)
            self.lines.append("\n")
            self.tag_pending = False
            return
        self.lines.append(s)
        if not self.fill:
            self.lines.append("\n")

    def line_break(self) -> None:
        if self.lines and self.lines[-1] != "\n":
            self.lines.append("\n")

    def paragraph(self) -> None:
        out, prev = [], "\n"
        for piece in self.lines:
            if piece == "\n":
                out.append("\n")
            else:
                out.append(piece if prev == "\n" else " " + piece)
            prev = piece
        text = "".join(out).strip("\n")
        text = re.sub(r" *\n", "\n", text)
        if text.strip():
            self.paragraphs.append(text)
        self.lines = []

    # -- input --------------------------------------------------------------------------------
    def feed(self, source: str) -> str:
        # A backslash at the end of a line continues it on the next one.
        source = re.sub(r"(?<!\\)((?:\\\\)*)\\\n", r"\1", source)
        for raw in source.split("\n"):
            self.line(raw)
        self.paragraph()
        return "\n\n".join(self.paragraphs)

    def line(self, raw: str) -> None:
        if self.skip_until is not None:
            if raw.strip() == self.skip_until or raw.startswith(self.skip_until + " "):
                self.skip_until = None
            return
        if self.skip_braces:
            self.skip_braces += raw.count("\\{") - raw.count("\\}")
            if self.skip_braces < 0:
                self.skip_braces = 0
            return
        if raw.startswith((".", "'")) and not raw.startswith(("..", "'\\\"", ".\\\"")) or raw in (".", "'"):
            self.request(raw[1:])
            return
        if raw.startswith((".\\\"", "'\\\"")) or raw.startswith(".."):
            return  # comment / stray end-of-definition
        raw = raw.replace("\\}", "")
        if not raw.strip():
            self.paragraph()
            return
        if self.fill and raw[:1] in " \t":
            self.line_break()
        self.text(roff_text(raw))

    def request(self, body: str) -> None:
        body = body.lstrip(" \t")
        m = re.match(r"([^\s\\]+|\\\S*)\s*(.*)$", body)
        if not m:
            return
        name, rest = m.group(1), m.group(2)
        if name.startswith("\\\""):
            return
        if name in ("de", "de1", "am", "am1", "ig"):
            args = roff_args(rest)
            end = args[1] if len(args) > 1 else ("." if name != "ig" else ".")
            self.skip_until = ".." if end == "." else "." + end
            return
        if name in ("if", "ie", "el", "while"):
            self.conditional(name, rest)
            return
        if name in ("TS", "EQ", "PS", "G1"):
            self.paragraph()
            self.skip_until = {"TS": ".TE", "EQ": ".EN", "PS": ".PE", "G1": ".G2"}[name]
            return
        if name in ("nf", "Vb", "EX") or (name == "Bd" and ("-literal" in rest or "-unfilled" in rest)):
            self.paragraph()
            self.fill = False
            return
        if name in ("fi", "Ve", "EE") or (name == "Ed" and not self.fill):
            self.paragraph()
            self.fill = True
            return
        if name in DROP_REQUESTS:
            if name in ("RS", "RE", "Bl", "El", "Bd", "Ed"):
                self.paragraph()
            return
        if name in ("SH", "SS", "Sh", "Ss"):
            self.paragraph()
            heading = " ".join(roff_text(a) for a in roff_args(rest))
            if heading:
                self.paragraphs.append(heading)
            return
        if name in PARAGRAPH_REQUESTS:
            self.paragraph()
            return
        if name == "Sm":
            self.spacing = rest.strip() != "off"
            self.glue = False  # the first piece after .Sm off still gets its space
            return
        if name == "br":
            self.line_break()
            return
        if name == "TP":
            self.paragraph()
            self.tag_pending = True
            return
        if name in ("IP", "Ip", "It", "Item"):
            self.paragraph()
            args = roff_args(rest)
            if name == "It":
                tag = self.mdoc_words(args)
            else:
                tag = roff_text(args[0]) if args else ""
            if tag.strip():
                self.lines += [tag.strip(), "\n"]
            return
        if name in FONT_SPACED:
            # without arguments the font applies to the next text line, which is read as usual
            self.text(" ".join(roff_text(a) for a in roff_args(rest)))
            return
        if name in FONT_ALTERNATING:
            self.text("".join(roff_text(a) for a in roff_args(rest)))
            return
        if name in ("UR", "MT"):
            return  # the link text follows; the address itself is not prose
        if name in ("OP",):
            self.text("[" + " ".join(roff_text(a) for a in roff_args(rest)) + "]")
            return
        if name == "Nm":
            args = roff_args(rest)
            if args and args[0] not in MDOC_CALLABLE and not PUNCTUATION.match(args[0]):
                self.name = self.name or roff_text(args[0])
                self.text(self.mdoc_words(args))
            else:
                self.text(self.mdoc_words(["Nm"] + args))
            return
        if name == "Nd":
            self.text("- " + self.mdoc_words(roff_args(rest)))
            return
        if name in MDOC_CALLABLE or name in ("Ft", "Fd", "Rs", "%A", "%T"):
            self.text(self.mdoc_words([name] + roff_args(rest)))
            return
        # Anything else (site-specific macros): not prose.

    def mdoc_words(self, args: list[str]) -> str:
        out: list[str] = []
        no_space = False
        i = 0
        while i < len(args):
            a = args[i]
            if a in MDOC_CALLABLE:
                if a == "Fl":
                    nxt = args[i + 1] if i + 1 < len(args) and args[i + 1] not in MDOC_CALLABLE else ""
                    out.append(("" if no_space or not self.spacing else " ") + "-" + roff_text(nxt))
                    i += 2 if nxt else 1
                    no_space = False
                    continue
                if a == "Ns":
                    no_space = True
                elif a == "Nm" and (i + 1 >= len(args) or args[i + 1] in MDOC_CALLABLE or PUNCTUATION.match(args[i + 1])):
                    out.append(("" if no_space else " ") + self.name)
                    no_space = False
                elif a in MDOC_NAMES:
                    out.append(("" if no_space else " ") + MDOC_NAMES[a])
                    no_space = False
                elif a == "Xr" and i + 2 < len(args):
                    out.append(" %s(%s)" % (roff_text(args[i + 1]), args[i + 2]))
                    i += 3
                    continue
                i += 1
                continue
            out.append(("" if no_space or not self.spacing or PUNCTUATION.match(a) else " ") + roff_text(a))
            no_space = False
            i += 1
        return "".join(out).strip()

    def conditional(self, name: str, rest: str) -> None:
        if name == "el":
            cond_true = not self.last_if_true
            body = rest
        else:
            cond, body = self.split_condition(rest)
            cond_true = self.evaluate(cond)
            if name == "ie":
                self.last_if_true = cond_true
            if name == "while":
                cond_true = False
        body = body.lstrip()
        if cond_true:
            body = re.sub(r"^\\\{\s*", "", body)
            body = body.replace("\\}", "")
            if not body.strip():
                return
            if body.startswith((".", "'")):
                self.request(body[1:])
            else:
                self.text(roff_text(body))
        else:
            depth = body.count("\\{") - body.count("\\}")
            if depth > 0:
                self.skip_braces = depth

    @staticmethod
    def split_condition(rest: str) -> tuple[str, str]:
        rest = rest.lstrip()
        m = re.match(r"(!?(?:[ntoe]\b|[ntoe](?=\s|\\)|'[^']*'[^']*'|\"[^\"]*\"[^\"]*\"|\S+))\s*(.*)$", rest)
        if not m:
            return rest, ""
        return m.group(1), m.group(2)

    @staticmethod
    def evaluate(cond: str) -> bool:
        negate = cond.startswith("!")
        c = cond[1:] if negate else cond
        if c in ("n", "o"):
            value = True  # we are nroff, on an odd page
        elif c in ("t", "e"):
            value = False
        else:
            value = False  # registers, string comparisons: unknown, treat as false
        return value != negate


def render_man(source: str) -> str | None:
    """Plain text of a man page (None for a `.so` alias)."""
    head = source.lstrip()[:200]
    if head.startswith(".so ") and source.count("\n") <= 3:
        return None
    return RoffRenderer().feed(source)


# ---------------------------------------------------------------------------------------------
# HTML -> plain text

class _HtmlText(html.parser.HTMLParser):
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "dt", "dd",
             "table", "ul", "ol", "dl", "blockquote", "section", "article", "hr", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        if tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)
        if tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def html_text(source: str) -> str:
    parser = _HtmlText()
    parser.feed(source)
    parser.close()
    text = "".join(parser.parts)
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


# ---------------------------------------------------------------------------------------------
# Cleaning, filtering

WORD = re.compile(r"^[A-Za-z][a-z]{0,14}[,.;:!?)]?$|^\(?[a-z]+$")


def tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"([-=+_*~#.^])\1{7,}", r"\1\1\1", text)  # rule lines of tables and headings
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def cap(text: str, limit: int = MAX_DOC_CHARS) -> str:
    """At most `limit` characters, cut at a paragraph (or line) break."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n\n", 0, limit)
    if cut < limit // 2:
        cut = text.rfind("\n", 0, limit)
    if cut < limit // 2:
        cut = limit
    return text[:cut].rstrip()


def prose_score(text: str) -> tuple[float, float]:
    """(share of whitespace-separated tokens that look like English words, share of ASCII chars)."""
    tokens = text.split()
    if not tokens:
        return 0.0, 0.0
    words = sum(1 for t in tokens if WORD.match(t))
    ascii_chars = sum(1 for ch in text if ord(ch) < 128)
    return words / len(tokens), ascii_chars / len(text)


def is_prose(text: str, min_words: float) -> bool:
    if len(text) < MIN_DOC_CHARS:
        return False
    words, ascii_share = prose_score(text)
    return words >= min_words and ascii_share >= 0.98


# ---------------------------------------------------------------------------------------------
# Sources

def man_documents(man_root: str, min_words: float, verbose: bool):
    """(source, family, text) for every English man page that renders to prose."""
    paths = []
    for section in sorted(glob.glob(os.path.join(man_root, "man[1-8]"))):
        for name in sorted(os.listdir(section)):
            full = os.path.join(section, name)
            if os.path.isfile(full) and not os.path.islink(full):
                paths.append(full)
    kept = 0
    for path in paths:
        source = read_file_text(path)
        if source is None:
            continue
        text = render_man(source)
        if text is None:
            continue
        text = tidy(cap(tidy(text)))
        if not is_prose(text, min_words):
            continue
        kept += 1
        base = os.path.basename(path)
        family = re.split(r"[-_.]", base, maxsplit=1)[0]
        yield os.path.relpath(path, man_root), family, text
    if verbose:
        print(f"man: {kept} of {len(paths)} pages kept", file=sys.stderr)


DOC_INCLUDE = re.compile(r"^(README|NEWS|FAQ|INSTALL|USAGE|HOWTO)([._-].*)?$|\.(txt|md|markdown|rst|text|html?)(\.gz)?$", re.I)
DOC_EXCLUDE = re.compile(r"copyright|licen[cs]e|copying|changelog|changes|history|authors|thanks|"
                         r"contributors|code_of_conduct|security|symbols|requirements|\.(json|py|c|h|pl|sh|xml|css|js)(\.gz)?$", re.I)


def doc_documents(doc_root: str, min_words: float, verbose: bool):
    """(source, package, text) for prose documentation files under /usr/share/doc."""
    paths = []
    for root, dirs, names in os.walk(doc_root):
        dirs.sort()
        for name in sorted(names):
            full = os.path.join(root, name)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            if DOC_INCLUDE.search(name) and not DOC_EXCLUDE.search(name):
                paths.append(full)
    paths.sort()
    kept = 0
    for path in paths:
        source = read_file_text(path)
        if source is None:
            continue
        if re.search(r"\.html?(\.gz)?$", path, re.I):
            source = html_text(source)
        text = tidy(cap(tidy(source)))
        if not is_prose(text, min_words):
            continue
        kept += 1
        package = os.path.relpath(path, doc_root).split(os.sep)[0]
        yield os.path.relpath(path, doc_root), package, text
    if verbose:
        print(f"doc: {kept} of {len(paths)} files kept", file=sys.stderr)


def train_emails(path: str) -> list[str]:
    csv.field_size_limit(1 << 24)
    with open(path, newline="", encoding="utf-8") as f:
        return [row["text"] for row in csv.DictReader(f)]


def utf8_len(s: str) -> int:
    return len(s.encode("utf-8"))


def take(documents, budget: int, family_cap: int, rng: random.Random, seen: set[str]):
    """Seeded shuffle, then documents in that order until `budget` bytes (family cap honoured)."""
    documents = list(documents)
    rng.shuffle(documents)
    chosen, total = [], 0
    per_family: Counter = Counter()
    for source, family, text in documents:
        size = utf8_len(text)
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
        if digest in seen or per_family[family] + size > family_cap:
            continue
        if total >= budget:
            break
        seen.add(digest)
        per_family[family] += size
        chosen.append((source, family, text))
        total += size
    return chosen, total, per_family


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="/tmp/lps-demo/corpus.csv", help="output CSV (default /tmp/lps-demo/corpus.csv)")
    parser.add_argument("--total-mb", type=float, default=40.0, help="corpus size in MB of UTF-8 text (default 40)")
    parser.add_argument("--man-share", type=float, default=0.6, help="share of the Debian half taken from man pages (default 0.6)")
    parser.add_argument("--family-cap-kb", type=float, default=600.0, help="at most this many KB per man-page family or doc package (default 600)")
    parser.add_argument("--min-words", type=float, default=0.45, help="minimum share of word-like tokens for a document (default 0.45)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--man-root", default="/usr/share/man")
    parser.add_argument("--doc-root", default="/usr/share/doc")
    parser.add_argument("--train-csv", default=TRAIN_CSV)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    verbose = not args.quiet
    if os.path.basename(args.train_csv) != "train.csv":
        raise SystemExit("error: --train-csv must be the training split (train.csv); validation text never enters the corpus")

    half = int(args.total_mb * 1e6 / 2)
    family_cap = int(args.family_cap_kb * 1000)
    rng = random.Random(args.seed)
    seen: set[str] = set()

    man = list(man_documents(args.man_root, args.min_words, verbose))
    docs = list(doc_documents(args.doc_root, args.min_words, verbose))
    man_budget = int(half * args.man_share)
    man_chosen, man_bytes, man_families = take(man, man_budget, family_cap, rng, seen)
    doc_chosen, doc_bytes, doc_packages = take(docs, half - man_bytes, family_cap, rng, seen)
    if man_bytes + doc_bytes < half:
        print(f"warning: only {(man_bytes + doc_bytes) / 1e6:.1f} MB of Debian prose (wanted {half / 1e6:.1f})", file=sys.stderr)
    debian_bytes = man_bytes + doc_bytes

    emails = train_emails(args.train_csv)
    email_bytes_once = sum(utf8_len(t) for t in emails)
    rows = [(t, f"man:{s}") for s, _, t in man_chosen] + [(t, f"doc:{s}") for s, _, t in doc_chosen]
    copies, email_bytes = 0, 0
    while email_bytes < debian_bytes:
        order = list(range(len(emails)))
        rng.shuffle(order)
        for i in order:
            if email_bytes >= debian_bytes:
                break
            rows.append((emails[i], f"train.csv:{i + 2}"))  # CSV line of the header is 1
            email_bytes += utf8_len(emails[i])
        copies += 1
    rng.shuffle(rows)

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["text", "source"])
        writer.writerows(rows)

    stats = {
        "seed": args.seed,
        "documents": len(rows),
        "bytes": debian_bytes + email_bytes,
        "man_pages": {"documents": len(man_chosen), "bytes": man_bytes, "candidates": len(man),
                      "largest_families": man_families.most_common(8)},
        "usr_share_doc": {"documents": len(doc_chosen), "bytes": doc_bytes, "candidates": len(docs),
                          "largest_packages": doc_packages.most_common(8)},
        "train_emails": {"unique": len(emails), "bytes_once": email_bytes_once,
                         "rows": len(rows) - len(man_chosen) - len(doc_chosen), "bytes": email_bytes,
                         "passes": round(email_bytes / email_bytes_once, 2)},
    }
    with open(args.out + ".stats.json", "w", encoding="utf-8") as f:
        json.dump(stats, f, indent=2)
        f.write("\n")
    if verbose:
        print(json.dumps(stats, indent=2), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
