"""What both seed generators share: writing a corpus folder without touching unchanged files."""

import pathlib


def write_seeds(seeds: dict, out: pathlib.Path, root: pathlib.Path) -> None:
    """Writes each `name -> bytes` seed into `out`, only where the bytes differ (so a rerun of
    a deterministic generator changes nothing git sees), and says how many it wrote."""
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, data in sorted(seeds.items()):
        path = out / name
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
            written += 1
    print(f"{len(seeds)} seeds, {written} written to {out.relative_to(root)}")


def write_dictionary(entries: list, path: pathlib.Path, header: str, root: pathlib.Path) -> None:
    """Writes a libFuzzer dictionary (one rendered entry per line, under a `# header` line),
    only when its text changed."""
    text = f"# {header}\n" + "".join(entry + "\n" for entry in entries)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    print(f"{len(entries)} dictionary entries in {path.relative_to(root)}")
