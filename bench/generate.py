"""Make the synthetic cases the benchmarks build, in bench/cases/ (git-ignored).

- large: the example's facts with 200 PDF exhibits of 10 scan-like pages each (one JPEG image a page),
  2,000 pages in all; large-one: the same case with a single one-page exhibit, so the difference between
  the two is the cost of the evidence.
- batch/case-01 ... case-40: the example case, each for a seller of its own name.

Deterministic: the same pages every run (a fixed random seed).
"""

from __future__ import annotations

import io
import random
import shutil
import sys
from pathlib import Path

import img2pdf
import yaml
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "cases" / "example"
CASES = Path(__file__).resolve().parent / "cases"


def scan_page(rng: random.Random, number: int) -> bytes:
    """A grey page with lines of 'text' and speckle, like a scanned invoice, as JPEG bytes."""
    page = Image.new("L", (850, 1100), 235)
    draw = ImageDraw.Draw(page)
    for line in range(40):
        y = 80 + line * 24
        draw.rectangle([70, y, 70 + rng.randint(300, 700), y + 9], fill=rng.randint(40, 90))
    for _ in range(3000):
        draw.point((rng.randrange(850), rng.randrange(1100)), fill=rng.randint(150, 255))
    draw.text((70, 40), f"Invoice page {number}", fill=0)
    buffer = io.BytesIO()
    page.save(buffer, format="JPEG", quality=55)
    return buffer.getvalue()


def large_case(name: str, exhibits: int, pages: int) -> Path:
    folder = CASES / name
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "evidence").mkdir(parents=True)
    data = yaml.safe_load((EXAMPLE / "case.yaml").read_text(encoding="utf-8"))
    data["language"] = "en"
    data.pop("sales", None)  # its export is one of the example's evidence files, not copied here
    rng = random.Random(2024)
    data["evidence"] = []
    for index in range(1, exhibits + 1):
        images = [scan_page(rng, page) for page in range(pages)]
        (folder / "evidence" / f"invoice-{index:03d}.pdf").write_bytes(img2pdf.convert(images))
        data["evidence"].append({"file": f"evidence/invoice-{index:03d}.pdf", "title": f"Invoice {index}"})
    (folder / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return folder


def batch_cases(count: int) -> Path:
    folder = CASES / "batch"
    shutil.rmtree(folder, ignore_errors=True)
    example = yaml.safe_load((EXAMPLE / "case.yaml").read_text(encoding="utf-8"))
    for index in range(1, count + 1):
        case = folder / f"case-{index:02d}"
        shutil.copytree(EXAMPLE, case)
        data = {
            **example,
            "merchant": {**example["merchant"], "name_en": f"Seller {index} Trading Co., Ltd."},
        }
        (case / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return folder


def main() -> None:
    exhibits = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    large_case("large", exhibits, 10)
    large_case("large-one", 1, 1)
    batch_cases(40)
    print(CASES)


if __name__ == "__main__":
    main()
