#!/usr/bin/python3
"""Train a byte-level BPE tokenizer (RoBERTa / GPT-2 style) in plain Python, reproducibly.

    /usr/bin/python3 tools/demo/train_tokenizer.py --vocab-size 8000 --out DIR FILES...

FILES are text files, directories (read recursively) or glob patterns; `.gz` files are
decompressed, `.csv` files contribute only their `--csv-column` column (default `text`).
Writes DIR/tokenizer.json in the format of RoBERTa's fast tokenizer (BPE model, ByteLevel
pre-tokenizer and decoder, RobertaProcessing) and DIR/tokenizer_config.json
(RobertaTokenizer), loadable by Hugging Face `tokenizers`/`transformers` and transformers.js.

Vocabulary layout (RoBERTa's): <s>=0, <pad>=1, </s>=2, <unk>=3, the 256 byte symbols of
GPT-2's byte->unicode alphabet (in code point order), the merged tokens in merge order, and
<mask> as the last id.

Training: pre-tokenize with the GPT-2 regex, count distinct words, then repeatedly merge the
most frequent adjacent pair (ties: the lexicographically smallest (left, right) pair), with
pair counts updated incrementally for the words that contain the merged pair only.

The `regex` module is not installed on Debian's python3, so \\p{L} and \\p{N} are expanded into
explicit character classes from `unicodedata`, and \\s is JavaScript's whitespace set, so that
pre-tokenization matches transformers.js (the consumer of these files) exactly.

Only the standard library is needed.
"""
from __future__ import annotations

import argparse
import csv
import glob
import gzip
import heapq
import io
import json
import os
import re
import sys
import time
import unicodedata
from collections import Counter

SPECIALS_FIRST = ["<s>", "<pad>", "</s>", "<unk>"]
MASK = "<mask>"

# JavaScript's \s (WhiteSpace + LineTerminator): what transformers.js' ByteLevel regex and
# String.prototype.trimEnd use. Python's str.isspace differs (it includes \x1c-\x1f and \x85
# and excludes \ufeff), so the set is spelled out.
JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)) + "\u2028\u2029\u202f\u205f\u3000\ufeff"


def _class_ranges(predicate) -> str:
    """A regex character-class body (no brackets) for all code points where predicate holds."""
    parts = []
    start = None
    for cp in range(0x110001):
        inside = cp <= 0x10FFFF and predicate(cp)
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            end = cp - 1
            parts.append(_escape(start) if start == end else f"{_escape(start)}-{_escape(end)}")
            start = None
    return "".join(parts)


def _escape(cp: int) -> str:
    return f"\\U{cp:08x}"


def _build_pretokenize_regex() -> re.Pattern:
    letters = _class_ranges(lambda cp: unicodedata.category(chr(cp)).startswith("L"))
    numbers = _class_ranges(lambda cp: unicodedata.category(chr(cp)).startswith("N"))
    space = "".join(_escape(ord(c)) for c in JS_WHITESPACE)
    # GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    pattern = (
        r"'s|'t|'re|'ve|'m|'ll|'d"
        rf"| ?[{letters}]+"
        rf"| ?[{numbers}]+"
        rf"| ?[^{space}{letters}{numbers}]+"
        rf"|[{space}]+(?![^{space}])"
        rf"|[{space}]+"
    )
    return re.compile(pattern)


_PRETOKENIZE = None


def pretokenize_regex() -> re.Pattern:
    global _PRETOKENIZE
    if _PRETOKENIZE is None:
        _PRETOKENIZE = _build_pretokenize_regex()
    return _PRETOKENIZE


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


BYTE_TO_CHAR = bytes_to_unicode()
# Translation table from a latin-1 decoded byte string to the byte-level alphabet.
_BYTE_TRANSLATION = {b: BYTE_TO_CHAR[b] for b in range(256)}


def to_byte_level(piece: str) -> str:
    return piece.encode("utf-8", errors="surrogatepass").decode("latin-1").translate(_BYTE_TRANSLATION)


# ---------------------------------------------------------------------------------------------
# Reading the corpus


def expand_inputs(inputs: list[str]) -> list[str]:
    files: set[str] = set()
    for item in inputs:
        matches = sorted(glob.glob(item, recursive=True)) if any(ch in item for ch in "*?[") else [item]
        if not matches:
            raise SystemExit(f"error: {item}: no file matches")
        for path in matches:
            if os.path.isdir(path):
                for root, dirs, names in os.walk(path):
                    dirs.sort()
                    for name in names:
                        full = os.path.join(root, name)
                        if os.path.isfile(full) and not os.path.islink(full):
                            files.add(full)
            elif os.path.isfile(path):
                files.add(path)
            else:
                raise SystemExit(f"error: {path}: no such file or directory")
    return sorted(files)


def read_file_text(path: str) -> str | None:
    """A file's text (.gz decompressed), or None for a binary or broken file (a NUL byte, bad gzip)."""
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return None
    if b"\x00" in data:
        return None
    return data.decode("utf-8", errors="replace")


def read_text(path: str, csv_column: str) -> str | None:
    """The file's text (a .csv file's `csv_column` only), or None for a binary file."""
    text = read_file_text(path)
    if text is None:
        return None
    if path.endswith(".csv") or path.endswith(".csv.gz"):
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if reader.fieldnames is None or csv_column not in reader.fieldnames:
            raise SystemExit(f"error: {path}: no column {csv_column!r} (columns: {reader.fieldnames}); use --csv-column")
        return "\n".join(row[csv_column] or "" for row in reader)
    return text


def count_words(files: list[str], csv_column: str, max_bytes: int | None, verbose: bool) -> tuple[Counter, int, int]:
    """Byte-level word -> frequency over all files, the bytes read and the files used."""
    regex = pretokenize_regex()
    raw_counts: Counter = Counter()
    total_bytes = 0
    used = 0
    for path in files:
        text = read_text(path, csv_column)
        if text is None:
            if verbose:
                print(f"  skipped (binary): {path}", file=sys.stderr)
            continue
        size = len(text.encode("utf-8", errors="surrogatepass"))
        if max_bytes is not None and total_bytes + size > max_bytes:
            if verbose:
                print(f"  stopped at --max-mb before {path}", file=sys.stderr)
            break
        total_bytes += size
        used += 1
        raw_counts.update(regex.findall(text))
    words: Counter = Counter()
    for piece, freq in raw_counts.items():
        words[to_byte_level(piece)] += freq
    return words, total_bytes, used


# ---------------------------------------------------------------------------------------------
# Training


def train_bpe(word_counts: Counter, vocab_size: int, min_frequency: int, verbose: bool):
    """Returns (vocab: token -> id, merges: list of (left, right))."""
    if vocab_size < len(SPECIALS_FIRST) + 256 + 1:
        raise SystemExit(f"error: --vocab-size must be at least {len(SPECIALS_FIRST) + 256 + 1} (specials + 256 bytes)")
    symbols: list[str] = SPECIALS_FIRST + sorted(BYTE_TO_CHAR.values(), key=ord)
    symbol_id = {s: i for i, s in enumerate(symbols)}

    # Distinct words in a fixed order so that everything downstream is deterministic.
    ordered = sorted(word_counts.items())
    words: list[list[int]] = [[symbol_id[c] for c in w] for w, _ in ordered]
    freqs: list[int] = [f for _, f in ordered]

    pair_counts: dict[tuple[int, int], int] = {}
    pair_words: dict[tuple[int, int], set[int]] = {}
    for idx, w in enumerate(words):
        f = freqs[idx]
        for p in zip(w, w[1:]):
            pair_counts[p] = pair_counts.get(p, 0) + f
            s = pair_words.get(p)
            if s is None:
                pair_words[p] = {idx}
            else:
                s.add(idx)
    heap = [(-c, symbols[a], symbols[b], a, b) for (a, b), c in pair_counts.items()]
    heapq.heapify(heap)

    merges: list[tuple[str, str]] = []
    target = vocab_size - 1  # the last id is <mask>
    started = time.time()
    while len(symbols) < target:
        best = None
        while heap:
            neg, sa, sb, a, b = heapq.heappop(heap)
            if pair_counts.get((a, b), 0) == -neg:
                best = (a, b, -neg)
                break
        if best is None or best[2] < min_frequency:
            print(f"warning: no pair occurs {min_frequency}+ times any more; vocabulary stops at {len(symbols) + 1} tokens", file=sys.stderr)
            break
        a, b, _ = best
        merged = symbols[a] + symbols[b]
        new = symbol_id.get(merged)
        if new is None:  # the same string can come from two different merges
            new = len(symbols)
            symbols.append(merged)
            symbol_id[merged] = new
        merges.append((symbols[a], symbols[b]))

        delta: dict[tuple[int, int], int] = {}
        for idx in pair_words.pop((a, b), ()):
            w = words[idx]
            n = len(w)
            out = []
            i = 0
            changed = False
            while i < n:
                if i + 1 < n and w[i] == a and w[i + 1] == b:
                    out.append(new)
                    i += 2
                    changed = True
                else:
                    out.append(w[i])
                    i += 1
            if not changed:
                continue
            f = freqs[idx]
            for p in zip(w, w[1:]):
                delta[p] = delta.get(p, 0) - f
            for p in zip(out, out[1:]):
                delta[p] = delta.get(p, 0) + f
                if p[0] == new or p[1] == new:
                    s = pair_words.get(p)
                    if s is None:
                        pair_words[p] = {idx}
                    else:
                        s.add(idx)
            words[idx] = out
        for p, d in delta.items():
            if d == 0:
                continue
            c = pair_counts.get(p, 0) + d
            if c > 0:
                pair_counts[p] = c
                heapq.heappush(heap, (-c, symbols[p[0]], symbols[p[1]], p[0], p[1]))
            else:
                pair_counts.pop(p, None)
                pair_words.pop(p, None)
        if verbose and len(merges) % 1000 == 0:
            print(f"  {len(merges)} merges, {len(symbols)} tokens, {time.time() - started:.1f} s", file=sys.stderr)

    vocab = {s: i for i, s in enumerate(symbols)}
    vocab[MASK] = len(symbols)
    return vocab, merges


# ---------------------------------------------------------------------------------------------
# Files in Hugging Face's formats


def added_token(content: str, id_: int) -> dict:
    is_mask = content == MASK
    return {
        "id": id_,
        "content": content,
        "single_word": False,
        "lstrip": is_mask,  # "Hello <mask>" -> the mask token absorbs the space, as in RoBERTa
        "rstrip": False,
        "normalized": not is_mask,
        "special": True,
    }


def tokenizer_json(vocab: dict[str, int], merges: list[tuple[str, str]]) -> dict:
    specials = SPECIALS_FIRST + [MASK]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added_token(s, vocab[s]) for s in specials],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {
            "type": "RobertaProcessing",
            "sep": ["</s>", vocab["</s>"]],
            "cls": ["<s>", vocab["<s>"]],
            "trim_offsets": True,
            "add_prefix_space": False,
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            # "left right": byte-level symbols never contain a plain space, and every version of
            # `tokenizers` and transformers.js reads this form.
            "merges": [f"{l} {r}" for l, r in merges],
        },
    }


def tokenizer_config(vocab: dict[str, int], model_max_length: int) -> dict:
    specials = SPECIALS_FIRST + [MASK]
    return {
        "add_prefix_space": False,
        "added_tokens_decoder": {str(vocab[s]): {k: v for k, v in added_token(s, vocab[s]).items() if k != "id"} for s in specials},
        "bos_token": "<s>",
        "clean_up_tokenization_spaces": False,
        "cls_token": "<s>",
        "eos_token": "</s>",
        "errors": "replace",
        "mask_token": "<mask>",
        "model_max_length": model_max_length,
        "pad_token": "<pad>",
        "sep_token": "</s>",
        "tokenizer_class": "RobertaTokenizer",
        "trim_offsets": True,
        "unk_token": "<unk>",
    }


def write_json(path: str, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


# ---------------------------------------------------------------------------------------------
# Encoding, for self-checks against transformers.js


class ByteLevelBPE:
    """Encodes like transformers.js' Tokenizer for the files this script writes."""

    def __init__(self, vocab: dict[str, int], merges: list[tuple[str, str]]):
        self.vocab = vocab
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.specials = SPECIALS_FIRST + [MASK]
        self.split_specials = re.compile("|".join(re.escape(s) for s in sorted(self.specials, key=len, reverse=True)))

    def bpe(self, word: str) -> list[str]:
        parts = list(word)
        while len(parts) > 1:
            best = None
            for i in range(len(parts) - 1):
                rank = self.ranks.get((parts[i], parts[i + 1]))
                if rank is not None and (best is None or rank < best[0]):
                    best = (rank, i)
            if best is None:
                break
            i = best[1]
            parts[i : i + 2] = [parts[i] + parts[i + 1]]
        return parts

    def tokenize(self, text: str) -> list[str]:
        # Split out special tokens; <mask> has lstrip, so it eats the whitespace before it.
        sections: list[str] = []
        pos = 0
        for m in self.split_specials.finditer(text):
            sections.append(text[pos : m.start()])
            sections.append(m.group(0))
            pos = m.end()
        sections.append(text[pos:])
        for i, s in enumerate(sections):
            if s == MASK and i > 0:
                sections[i - 1] = sections[i - 1].rstrip(JS_WHITESPACE)
        tokens: list[str] = []
        for s in sections:
            if not s:
                continue
            if s in self.specials:
                tokens.append(s)
                continue
            for piece in pretokenize_regex().findall(s):
                tokens.extend(self.bpe(to_byte_level(piece)))
        return tokens

    def encode(self, text: str, pair: str | None = None) -> list[int]:
        ids = [self.vocab[t] for t in self.tokenize(text)]
        out = [self.vocab["<s>"]] + ids + [self.vocab["</s>"]]
        if pair is not None:
            out += [self.vocab["</s>"]] + [self.vocab[t] for t in self.tokenize(pair)] + [self.vocab["</s>"]]
        return out


EXPECTED_CASES = [
    {"text": "Hello, world! This is a test of the tokenizer."},
    {"text": "The GNU General Public License is a free, copyleft license for software."},
    {"text": "Café naïve résumé — Zürich, São Paulo, Ærøskøbing."},
    {"text": "Emoji: 👍🏽 🎉🤖 and CJK: 東京 中文 한국어"},
    {"text": "Line one\nLine two\n\n\ttabbed   spaced  \r\nend"},
    {"text": "don't, I'll, we've, she's, they're, I'm, he'd; 3.14159 and 2024-01-01"},
    {"text": "Fill the <mask> here and <mask>."},
    {"text": "  leading and trailing spaces  "},
    {"text": "Is this spam?", "pair": "WIN $$$ NOW!!! Click http://example.com/x?a=1&b=2"},
    {"text": "A premise about licences.", "pair": "A hypothesis, with Ünïcödé."},
]


def write_expected(path: str, encoder: ByteLevelBPE) -> None:
    cases = []
    for case in EXPECTED_CASES:
        ids = encoder.encode(case["text"], case.get("pair"))
        cases.append({**case, "ids": ids})
    # One case per line: readable diffs when the fixture is remade.
    lines = ",\n".join("    " + json.dumps(c, ensure_ascii=False) for c in cases)
    note = json.dumps("ids from tools/demo/train_tokenizer.py's own encoder, special tokens included")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'{{\n  "note": {note},\n  "cases": [\n{lines}\n  ]\n}}\n')


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", metavar="FILES", help="text files, directories or glob patterns")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--vocab-size", type=int, default=8000, help="total tokens incl. 5 specials and 256 bytes (default 8000)")
    parser.add_argument("--min-frequency", type=int, default=2, help="stop when the best pair occurs fewer times (default 2)")
    parser.add_argument("--model-max-length", type=int, default=512, help="tokenizer_config.json's model_max_length (default 512)")
    parser.add_argument("--csv-column", default="text", help="column read from .csv files (default text)")
    parser.add_argument("--max-mb", type=float, default=None, help="read at most this many MB of text (files in sorted order)")
    parser.add_argument("--write-vocab-merges", action="store_true", help="also write vocab.json and merges.txt (the slow tokenizer's files)")
    parser.add_argument("--expected-out", default=None, help="write ids of built-in test sentences (from this script's encoder) to this JSON file")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    verbose = not args.quiet

    t0 = time.time()
    files = expand_inputs(args.files)
    max_bytes = None if args.max_mb is None else int(args.max_mb * 1_000_000)
    word_counts, total_bytes, used = count_words(files, args.csv_column, max_bytes, verbose)
    if not word_counts:
        raise SystemExit("error: no text found in the input files")
    t1 = time.time()
    if verbose:
        print(f"read {used} files, {total_bytes / 1e6:.2f} MB, {len(word_counts)} distinct words in {t1 - t0:.1f} s", file=sys.stderr)
    vocab, merges = train_bpe(word_counts, args.vocab_size, args.min_frequency, verbose)
    t2 = time.time()
    if verbose:
        print(f"trained {len(vocab)} tokens ({len(merges)} merges) in {t2 - t1:.1f} s; total {t2 - t0:.1f} s", file=sys.stderr)

    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "tokenizer.json"), tokenizer_json(vocab, merges))
    write_json(os.path.join(args.out, "tokenizer_config.json"), tokenizer_config(vocab, args.model_max_length))
    if args.write_vocab_merges:
        write_json(os.path.join(args.out, "vocab.json"), vocab)
        with open(os.path.join(args.out, "merges.txt"), "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n")
            for l, r in merges:
                f.write(f"{l} {r}\n")
    if args.expected_out:
        write_expected(args.expected_out, ByteLevelBPE(vocab, merges))
    if verbose:
        print(f"wrote {args.out}/tokenizer.json and tokenizer_config.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
