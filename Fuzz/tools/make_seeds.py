#!/usr/bin/env python3
"""Regenerates Fuzz/Corpus/loader/ from the example specs, the diagnostics fixtures and a
list of hostile inputs. Run from anywhere: `python3 Fuzz/tools/make_seeds.py`.

Seeds are written only when missing or changed; reproducers of past findings
(`crash-*`, `oom-*`, `timeout-*`, `repro-*`) are never touched.
"""
import pathlib
import re

from seedfiles import write_dictionary, write_seeds

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Fuzz" / "Corpus" / "loader"
MAX_LEN = 65536  # run.sh passes -max_len=65536; longer seeds would be truncated

seeds: dict[str, bytes] = {}


def seed(name: str, data: bytes | str) -> None:
    if isinstance(data, str):
        data = data.encode()
    assert len(data) <= MAX_LEN, (name, len(data))
    seeds[name] = data


# --- Valid specs: one document of each kind, and the whole example repository at once so
# the cross-document rules (references, cycles, selectors, compatibility) have material.
specs = sorted((ROOT / "Specs").rglob("*.yaml"))
whole = []
for path in specs:
    text = path.read_text()
    whole.append(text.strip("\n"))
    first = re.split(r"^---\s*$", text, flags=re.M)[0]
    kind = path.parent.name.rstrip("s")
    seed(f"valid-{kind}-{path.stem}.yaml", first)
seed("valid-whole-repository.yaml", "\n---\n".join(whole) + "\n")

# --- The diagnostics fixtures (one per finding code), markers removed.
fixtures = ROOT / "Tests" / "GSSpecTests" / "Fixtures" / "diagnostics"
for path in sorted(fixtures.rglob("*.yaml")):
    text = re.sub(r"«GS\d+»", "", path.read_text())
    seed(f"fixture-{path.parent.name}-{path.stem}.yaml", text)

DEVICE = """apiVersion: gs.ai/v1
kind: Device
metadata: {name: box}
spec:
  arch: x86_64
  runtimes: [{name: onnxruntime, version: "1.20.1", format: onnx, precisions: [fp32]}]
"""

# --- Nesting.
seed("deep-flow-sequence.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")
seed("deep-flow-mapping.yaml", "a: " + "{a: " * 3000 + "x" + "}" * 3000 + "\n")
seed("deep-flow-unclosed.yaml", "[" * 20000)
seed("deep-block-mapping.yaml", "".join(" " * i + f"k{i}:\n" for i in range(200)) + " " * 200 + "v\n")
seed("deep-block-sequence.yaml", "".join(" " * (2 * i) + "-\n" for i in range(150)) + " " * 300 + "- x\n")
seed("deep-at-limit.yaml", "spec: " + "[" * 63 + "1" + "]" * 63 + "\n")
seed("deep-over-limit-then-alias.yaml",
     "a: &x " + "[" * 70 + "1" + "]" * 70 + "\nb: *x\nc: [*x, *x]\n")
seed("deep-in-spec.yaml", DEVICE.replace("arch: x86_64", "arch: " + "{a: " * 80 + "1" + "}" * 80))

# --- Aliases.
lol = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
for i in range(1, 10):
    prev = chr(ord("a") + i - 1)
    cur = chr(ord("a") + i)
    lol.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
seed("alias-billion-laughs.yaml", "\n".join(lol) + "\n")
seed("alias-billion-laughs-mapping.yaml",
     "a: &a {x: 1, y: 2}\n" + "".join(
         f"{chr(98 + i)}: &{chr(98 + i)} {{" + ", ".join(f"k{j}: *{chr(97 + i)}" for j in range(10)) + "}\n"
         for i in range(9)))
seed("alias-bomb-per-document.yaml", ("---\n" + "\n".join(lol[:7]) + "\n") * 40)
seed("alias-undefined.yaml", "a: *nope\nb: &later 1\nc: *later\n")
seed("alias-forward-reference.yaml", "a: *b\nb: &b [*a]\nc: &a {x: *c}\n")
seed("alias-self-reference.yaml", "a: &a [1, *a]\nb: &b {k: *b}\n")
seed("alias-redefined-anchor.yaml", "a: &x 1\nb: *x\nc: &x [2]\nd: *x\ne: &x {k: *x}\nf: *x\n")
seed("alias-as-key.yaml", "a: &k key\n*k : 1\n? *k\n: 2\n? [1, 2]\n: 3\n? {a: b}\n: 4\n")
seed("alias-across-documents.yaml", "a: &x 1\n---\nb: *x\n")
seed("alias-envelope.yaml",
     "x: &v gs.ai/v1\ny: &k Device\n---\napiVersion: &v gs.ai/v1\nkind: &k Device\n"
     "metadata: &m {name: &n box}\nspec: &s {arch: x86_64, runtimes: []}\n---\n"
     "apiVersion: *v\nkind: *k\nmetadata: *m\nspec: *s\n")
big = "x" * 30000
seed("alias-huge-scalar-repeated.yaml",
     f"a: &a {big}\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n")

# --- Merge keys.
seed("merge-basic.yaml",
     "base: &base {arch: x86_64, memoryMB: 1024}\n"
     "apiVersion: gs.ai/v1\nkind: Device\nmetadata: {name: m}\nspec:\n  <<: *base\n  arch: arm64\n")
seed("merge-list.yaml", "a: &a {x: 1}\nb: &b {x: 2, y: 3}\nc:\n  <<: [*a, *b]\n  z: 4\n")
seed("merge-scalar.yaml", "a: &a 1\nb:\n  <<: *a\n  <<: [1, [2], *a]\n")
seed("merge-quoted-key.yaml", "a: &a {x: 1}\nb: {'<<': *a, \"<<\": *a}\n")
seed("merge-nested-bomb.yaml",
     "a: &a {k0: 1, k1: 2}\n" + "".join(
         f"m{i}: &m{i} {{<<: [" + ", ".join(["*a" if i == 0 else f"*m{i-1}"] * 8) + f"], n{i}: {i}}}\n"
         for i in range(8)))
seed("merge-tagged.yaml", "a: &a {x: 1}\nb: {!!merge <<: *a, ! <<: *a}\n")

# --- Duplicate keys.
seed("duplicate-keys.yaml", DEVICE + "kind: Host\nspec: {}\n")
seed("duplicate-keys-many.yaml", "".join(f"k: {i}\n" for i in range(2000)))
seed("duplicate-keys-nested.yaml",
     DEVICE.replace("arch: x86_64", "arch: x86_64\n  arch: arm64\n  memoryMB: 1\n  memoryMB: 2"))
seed("duplicate-keys-equivalent.yaml", "1: a\n01: b\n0x1: c\n'1': d\n\"1\": e\n!!str 1: f\n")

# --- Encodings, control bytes.
seed("utf8-invalid.yaml", b"apiVersion: gs.ai/v1\nkind: \xff\xfe\xc3(Device\nmetadata: {name: \xe2\x82}\n")
seed("utf8-overlong.yaml", b"a: \xc0\xaf\xe0\x80\xaf\n")
seed("utf8-surrogate.yaml", b"a: \xed\xa0\x80\n")
seed("utf8-bom.yaml", b"\xef\xbb\xbf" + DEVICE.encode())
seed("utf16le-bom.yaml", b"\xff\xfe" + DEVICE.encode("utf-16-le"))
seed("utf16be-bom.yaml", b"\xfe\xff" + DEVICE.encode("utf-16-be"))
seed("utf16le-odd-length.yaml", b"\xff\xfe" + "a: b\n".encode("utf-16-le") + b"\x00")
seed("nul-bytes.yaml", b"apiVersion: gs.ai/v1\nkind: Device\x00\nmetadata: {name: x}\n")
seed("nul-after-8k.yaml", b"a: " + b"x" * 9000 + b"\x00\n")
seed("control-chars.yaml", b"a: \x01\x02\x1b[31m\x7f\nb: \"\\x00\\u0000\\0\"\n")
seed("escapes.yaml", 'a: "\\u00e9\\U0001F600\\x41\\N\\_\\L\\P\\ud800\\e\\/"\n')
seed("unicode-keys.yaml", "apiVersion: gs.ai/v1\nkind: Dévice\nmetadata: {name: \"nämé\u202e\"}\nspéc: {}\n")

# --- Tabs, whitespace, line endings.
seed("tabs-indent.yaml", "apiVersion: gs.ai/v1\nkind: Device\nmetadata:\n\tname: x\n")
seed("tabs-in-values.yaml", "a:\tb\nc: [1,\t2]\nd: \"\t\"\n")
seed("crlf.yaml", DEVICE.replace("\n", "\r\n"))
seed("cr-only.yaml", DEVICE.replace("\n", "\r"))
seed("line-separators.yaml", "a: b\u2028c: d\u2029e: f\x85g: h\n")
seed("empty.yaml", b"")
seed("only-comments.yaml", "# nothing\n   # here\n")
seed("only-whitespace.yaml", "   \n\n\t\n")

# --- Scalars.
seed("huge-plain-scalar.yaml", "apiVersion: gs.ai/v1\nkind: Device\nmetadata: {name: " + "a" * 60000 + "}\n")
seed("huge-key.yaml", "k" * 60000 + ": 1\n")
seed("huge-literal-block.yaml", "a: |\n" + "  line of text\n" * 4000)
seed("huge-folded-block.yaml", "a: >-\n" + "  word word word\n\n" * 3000)
seed("huge-number.yaml",
     "a: " + "9" * 5000 + "\nb: 1e99999\nc: -0x" + "f" * 100 + "\nd: .inf\ne: -.NaN\nf: 0o777777777777777777777777\n")
seed("numbers-edge.yaml", DEVICE.replace("arch: x86_64", "arch: x86_64\n  memoryMB: 9223372036854775808")
     + "---\n" + DEVICE.replace("arch: x86_64", "arch: x86_64\n  memoryMB: -9223372036854775808")
     + "---\n" + DEVICE.replace("arch: x86_64", "arch: x86_64\n  memoryMB: 1e308")
     + "---\n" + DEVICE.replace("arch: x86_64", "arch: x86_64\n  memoryMB: 0x7fffffffffffffff"))
seed("yaml11-types.yaml", "a: [yes, No, on, OFF, y, n, 0777, 1_000, 1:20, 0b101, ~, Null, 2001-12-14]\n")
seed("tags.yaml", "a: !!str 1\nb: !!int x\nc: !custom {x: 1}\nd: !<tag:yaml.org,2002:binary> AAAA\ne: !!map [1]\n")
seed("tag-directives.yaml", "%YAML 1.1\n%TAG ! tag:example.com,2000:\n%TAG !e! tag:e.com:\n---\na: !e!x 1\n")
seed("yaml-directive-bad.yaml", "%YAML 9.9\n---\na: 1\n")

# --- Broken syntax.
seed("unterminated-double-quote.yaml", 'apiVersion: "gs.ai/v1\nkind: Device\n')
seed("unterminated-single-quote.yaml", "apiVersion: 'gs.ai/v1\nkind: Device\n")
seed("unterminated-flow.yaml", "a: [1, {b: 2\n")
seed("unterminated-block-scalar.yaml", "a: |\n")
seed("mapping-values-not-allowed.yaml", "a: b: c\n")
seed("bad-indent.yaml", "a:\n  b: 1\n c: 2\n")
seed("syntax-error-after-documents.yaml", DEVICE + "---\n" + DEVICE + "---\na: [\n")
seed("anchor-without-node.yaml", "a: &x\nb: &\nc: *\n")

# --- Documents.
seed("many-documents.yaml", "---\n" * 8000)
seed("many-document-ends.yaml", "a: 1\n...\n" * 3000)
seed("many-small-devices.yaml", "---\n".join(DEVICE.replace("name: box", f"name: box{i}") for i in range(200)))
seed("many-same-name.yaml", "---\n".join([DEVICE] * 200))
seed("documents-of-every-shape.yaml", "---\n1\n---\n[a]\n---\n\"text\"\n---\n~\n---\n{}\n---\n[]\n---\n!!null\n")

# --- Cross-document rules.
seed("workflow-cycle.yaml", """apiVersion: gs.ai/v1
kind: Workflow
metadata: {name: w}
spec:
  environments: [{name: e, python: "3.11", packages: [numpy==1.26.4]}]
  tasks:
    - {name: a, uses: source, needs: [c], command: [x], environment: e, port: 7000}
    - {name: b, uses: detect, needs: [a], command: [x], environment: e, port: 7001}
    - {name: c, uses: serve, needs: [b, c, missing], command: [x], environment: e, port: 7000}
""")
seed("deployment-dangling.yaml", """apiVersion: gs.ai/v1
kind: Deployment
metadata: {name: d}
spec:
  workflow: nope
  precision: int8
  targets: [{hosts: [h1, h1, h2]}, {selector: {matchLabels: {}}}, {}]
  rollout: {canary: 99, batchSize: 0, maxUnavailable: 150%}
  trust: [/dev/null, ../../../../etc/passwd, ""]
""")

write_seeds(seeds, OUT, ROOT)


# --- The libFuzzer dictionary: YAML syntax, the envelope, every schema key and word.
def dict_entry(token: str) -> str:
    out = []
    for byte in token.encode():
        if byte in (0x22, 0x5C) or byte < 0x20 or byte > 0x7E:
            out.append(f"\\x{byte:02X}")
        else:
            out.append(chr(byte))
    return '"' + "".join(out) + '"'


tokens = {
    "---", "...", "--- ", "\n---\n", "? ", ": ", "- ", "[", "]", "{", "}", ", ", "&a ", "*a", "&b ", "*b",
    "<<: *a", "<<: [*a, *b]", "!!str ", "!!int ", "!!map ", "!!seq ", "!!binary ", "!!merge ", "!<tag:x> ", "! ",
    "%YAML 1.2\n", "%TAG !e! tag:e.com:\n", "|\n", "|-\n", "|+\n", ">\n", ">-\n", "|2\n", "#", "\t", "\r\n",
    "\"", "'", "\\u0000", "\\x00", "\\U0010FFFF", "\ufeff", "~", "null", "true", "false", "yes", "no",
    "on", "off", ".inf", ".nan", "0x", "0o", "1e309", "-0", "9223372036854775808", "2001-12-14",
    "apiVersion: gs.ai/v1\n", "kind: ", "metadata:\n  name: ", "spec:\n", "labels: {", "annotations: {",
    "matchLabels: {", "gs.ai/v1", "Device", "Host", "Model", "Workflow", "Deployment",
}
schema_dir = ROOT / "Sources" / "GSSpec"
for path in sorted(schema_dir.rglob("*.swift")):
    text = path.read_text()
    tokens.update(re.findall(r'Property\(\s*"([^"]+)"', text))
    tokens.update(re.findall(r'ObjectSchema\(\s*"([^"]+)"', text))
vocabulary = (schema_dir / "Model" / "Vocabulary.swift").read_text()
for line in re.findall(r"^\s*case\s+(.+)$", vocabulary, flags=re.M):
    for item in line.split(","):
        item = item.strip()
        match = re.match(r'(\w+)\s*=\s*"([^"]+)"', item)
        if match:
            tokens.add(match.group(2))
        elif re.fullmatch(r"\w+", item):
            tokens.add(item)
for path in specs:
    tokens.update(re.findall(r"^\s*-?\s*([A-Za-z][A-Za-z0-9]*):", path.read_text(), flags=re.M))
write_dictionary([dict_entry(t) for t in sorted(tokens)], ROOT / "Fuzz" / "loader.dict",
                 "libFuzzer dictionary for the spec loader; generated by Fuzz/tools/make_seeds.py", ROOT)
