#!/usr/bin/env python3
"""Renders the OCR example data: text lines with known strings (DejaVu fonts, Debian's
fonts-dejavu-core), some upside down, as PNGs plus labels.tsv (file, text, rotated, box: the
line's ink as x0,y0,x1,y1 in pixels, right and bottom exclusive, read off the rendered image).

gsctl never runs this (it reads the PNGs with libpng); it documents how Specs/data/text-lines
was made. Needs Pillow (the test oracle's venv has it):
    .venv-oracle/bin/python scripts/render-text-lines.py Specs/data/text-lines
"""
import os
import random
import sys

from PIL import Image, ImageDraw, ImageFont, ImageOps

WORDS = ("gate camera person vehicle entrance exit zone alert count line crossing loiter running "
         "crowd density station depot office edge device model bundle release deploy rollback "
         "health signal frame track detect analyze serve canary batch precision").split()
FONTS = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
         "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"]


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261201)
    fonts = [f for f in FONTS if os.path.exists(f)]
    rows = []
    for i in range(96):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 4)))
        if rng.random() < 0.3:
            text += f" {rng.randint(1, 999)}"
        font = ImageFont.truetype(rng.choice(fonts), rng.randint(26, 34))
        left, top, right, bottom = font.getbbox(text)
        width, height = right - left + 16, 48
        background = rng.randint(200, 255)
        image = Image.new("RGB", (width, height), (background,) * 3)
        draw = ImageDraw.Draw(image)
        ink = rng.randint(0, 60)
        draw.text((8 - left, (height - (bottom - top)) // 2 - top), text, font=font, fill=(ink,) * 3)
        rotated = i % 4 == 3
        if rotated:
            image = image.rotate(180)
        name = f"line-{i:03d}.png"
        image.save(os.path.join(out, name), optimize=True)
        # Ink: pixels at least halfway from the background to the ink's grey.
        threshold = (background + ink) // 2
        x0, y0, x1, y1 = ImageOps.invert(image.convert("L")).point(lambda v: 255 if 255 - v <= threshold else 0).getbbox()
        rows.append(f"{name}\t{text}\t{1 if rotated else 0}\t{x0},{y0},{x1},{y1}")
    with open(os.path.join(out, "labels.tsv"), "w") as f:
        f.write("file\ttext\trotated\tbox\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Specs/data/text-lines")
