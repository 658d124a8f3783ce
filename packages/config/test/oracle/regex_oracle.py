"""Writes test/fixtures/python-regex-oracle.json: what CPython's re.match / re.fullmatch return (or which patterns
re.compile rejects), the oracle for src/python-regex*.ts. Run from packages/config: python3 test/oracle/regex_oracle.py"""
import json
import re
import sys
from pathlib import Path

SUBJECTS = [
    "", "q_proj", "model.layers.0.self_attn.q_proj", "model.layers.12.mlp.up_proj", "model.layers.1.self_attn.k_proj",
    "transformer.h.3.attn.c_attn", "encoder.block.2.layer.0.SelfAttention.q", "layers.3.attn.q_proj",
    "model.layers.2.block_sparse_moe.experts.3.w1", "lm_head", "classifier.dense", "a.b", "a\nb", "q_proj\n",
    "abc", "aBc", "ABC", "x{2}", "x{", "xx", "xxx", "a-b", "a]b", "]", "-", "^", "[", "{}", "{,}", "a1b2", "é", "ÉCOLE",
    "\u0661\u0662", "٣", "\u00a0", "\x1c", "\ufeff", "tab\there", "\u2028", "\U0001F600", "x\U0001F600y", "\x07", "\x00",
    "foo.bar", "foobar", "foo bar", "model.visual.blocks.1.attn.qkv", "language_model.model.layers.2.self_attn.q_proj",
    "aaa", "aaab", "abab", "abcabc", "1234", "0.5", "word word", "_x_", "__init__", "9", "a1", "k_proj.lora_A",
]

PATTERNS = [
    # PEFT-shaped patterns
    r".*\.(q_proj|v_proj)", r".*(q_proj|query)", r"model\.layers\.\d\..*", r".*layers\.1\..*", r".*proj",
    r".*language_model\..*\.(q_proj|v_proj)", r"(.*\.)?(q_proj)$", r"(.*\.)?(^model.layers.0.self_attn.o_proj)$",
    r"(.*\.)?(layers\.1\.self_attn\.k_proj)$", r"(.*\.)?(experts.*w1)$", r"(^|.*\.)classifier($|\..*)",
    r"(^|.*\.)self_attn($|\..*)", r".*?\.[^.]*\.(\d+)\.", r".*\.[^.]*\.(\d+)\.", r".*?\.layers\.(\d+)\.",
    r".*?\.block\.(\d+)\.", r".*?\.h\.(\d+)\.", r".*?\.blocks\.(\d+)\.", r".*mlp\.up_proj", r".*\.down_proj",
    # syntax differences between Python and JS
    r"a.b", r"(?s)a.b", r"^abc$", r"abc$", r"(?m)^b", r"(?m)a$", r"q_proj$", r"\Aq_proj\Z", r"\d+", r"(?a)\d+",
    r"\w+", r"(?a)\w+", r"\W", r"\s", r"\S+", r"(?a)\s", r"[\s\d]", r"[\W]", r"[^\W\d]+", r"[\S]+", r"[^\S]",
    r"\bword\b", r"(?a)\b\w+\b", r"\B", r"x{2}", r"x{,2}", r"x{2,}", r"x{,}", r"x{", r"x{}", r"x{a}", r"{", r"}",
    r"[]a]", r"[^]a]", r"[a-]", r"[-a]", r"[\]]", r"a]b", r"\-", r"\_x\_", r"\x41", r"\u00e9", r"\U0001F600", r"\101",
    r"\0", r"\07", r"[\1]", r"(a)\1", r"(a)(b)\2", r"(?P<n>a)(?P=n)", r"(?P<first>\w)\w*(?P=first)", r"(a)|b",
    r"(?:ab)+", r"(ab)*c", r"a*?b", r"a{1,2}?", r"a*+", r"a++b", r"(?>a+)b", r"(?>a*)a", r"(?i)abc", r"(?i)[a-c]+",
    r"(?x) a b  c # comment", r"(?x)a\ b", r"(?x)[ ]", r"(?s:a.b)", r"(?-s:a.b)", r"(?m:^b)", r"(?a:\w+)é",
    r"(?#comment)abc", r"a(?=b)", r"a(?!b)", r"(?<=a)b", r"(?<!a)b", r"(?<=ab|cd)x", r".\U0001F600.", r"[\U0001F600]",
    r"\.", r"[.]", r"\t", r"\a", r"[\b]", r"\n", r"\\", r"a|", r"|", r"()", r"(|a)", r"\$", r"[$^]", r"[\^]", r"é+",
    r"[é-ê]", r"ÉCOLE", r"(?i)école", r"\x1c", r"[\x00-\x7f]+", r"[^\x00-\x7f]",
    r"(?>(a))(b)\2", r"(a)*+(b)\2", r"(?i)É", r"[\d\W]", r"(?a)[\W]", r"(?a)\D", r"[\D]", r"\D", r"(?s).+", r".+",
    r"(?a)[^\d\s]+", r"[^\D]", r"(?x)(?P<x> a | b ) (?P=x)",
    # errors in Python
    r"*a", r"a**", r"a{2,1}", r"(a", r"a)", r"[a", r"\q", r"\8", r"(?P<1>a)", r"(?P=x)", r"(?<n>a)", r"\1",
    r"(a\1)", r"a(?i)b", r"(?L)a", r"(?<=a+)b", r"[b-a]", r"[\d-z]", r"\x4", r"\u12", r"^*", r"\b+", r"x{4294967295}",
    r"(?", r"(?z)", r"\777", r"(?P<a>x)(?P<a>y)", "\\",
]

UNSUPPORTED = [r"(a)?(?(1)b|c)", r"\N{LATIN SMALL LETTER E}", r"a(?i:b)", r"(?i)a(?-i:b)"]


def groups(m):
    if m is None:
        return None
    return [m.group(i) for i in range(m.re.groups + 1)]


cases = []
for p in PATTERNS + UNSUPPORTED:
    try:
        rx = re.compile(p)
    except (re.error, OverflowError) as e:
        cases.append({"pattern": p, "error": str(e)})
        continue
    cases.append({
        "pattern": p,
        "unsupported": p in UNSUPPORTED,
        "match": [groups(rx.match(s)) for s in SUBJECTS],
        "fullmatch": [groups(rx.fullmatch(s)) for s in SUBJECTS],
    })

out = {"python": sys.version.split()[0], "subjects": SUBJECTS, "cases": cases}
Path(__file__).resolve().parent.parent.joinpath("fixtures", "python-regex-oracle.json").write_text(
    json.dumps(out, indent=0) + "\n")
