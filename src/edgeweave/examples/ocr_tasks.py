"""Tasks of the OCR service example: render pages, read them with registered models, report.

The pages are rendered with real fonts from a fixed seed, so the service's character
accuracy is measured against known text, and its throughput on this machine is timed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # loading the DAG file (every scheduler and API worker does) stays light
    import numpy as np


def render_pages(count: int = 8, seed: int = 7, height: int = 640, width: int = 640
                 ) -> dict[str, Any]:
    """``count`` BGR pages with known text lines: {"images": (N, H, W, 3) uint8, "texts"}."""
    import numpy as np

    from edgeweave.models import ocr_data

    pages = ocr_data.pages(count, (0x0C5, seed), height, width)
    print(f"rendered {count} pages of {height}x{width} with "
          f"{sum(len(p.texts) for p in pages)} text lines")
    return {"images": np.stack([p.image for p in pages]),
            "texts": [list(p.texts) for p in pages]}


def read_pages(det: dict[str, Any] | str, rec: dict[str, Any] | str, pages: dict[str, Any]
               ) -> dict[str, Any]:
    """Detect + recognise every page with the registered models; accuracy and throughput."""
    from edgeweave.models.ocr_eval import char_accuracy, ocr_page
    from edgeweave.workflow.operators.ai import load_registered

    det_entry, det_session = load_registered(det)
    rec_entry, rec_session = load_registered(rec)
    images, texts = pages["images"], pages["texts"]
    read: list[str] = []
    start = time.perf_counter()
    for image in images:
        lines = ocr_page(det_session, rec_session, image, det_entry.shapes["x"],
                         rec_entry.shapes["x"])
        read.append("".join(text for _, text, _ in lines))
    seconds = time.perf_counter() - start
    accuracy = char_accuracy(["".join(t) for t in texts], read)
    print(f"read {len(images)} pages in {seconds:.2f}s: {len(images) / seconds:.2f} pages/s, "
          f"character accuracy {accuracy:.4f} (det {det_entry.name} v{det_entry.version} on "
          f"{det_entry.backend}, rec {rec_entry.name} v{rec_entry.version} on {rec_entry.backend})")
    return {"pages": len(images), "seconds": seconds, "pages_per_s": len(images) / seconds,
            "char_accuracy": accuracy, "read": read,
            "det": f"{det_entry.name}:{det_entry.version}@{det_entry.backend}",
            "rec": f"{rec_entry.name}:{rec_entry.version}@{rec_entry.backend}"}


def ocr_report(result: dict[str, Any]) -> dict[str, Any]:
    """The service's summary (what a dashboard shows for the run)."""
    summary = {k: result[k] for k in ("pages", "pages_per_s", "char_accuracy", "det", "rec")}
    print("OCR service report:", summary)
    return summary


def direction_samples(count: int = 32, seed: int = 11) -> np.ndarray:
    """Preprocessed text-line crops for the direction classifier, (N, 1, 3, 48, 192)."""
    from edgeweave.models.zoo import calibration_samples

    return calibration_samples("ppocr-cls", count, seed=seed)["x"]
