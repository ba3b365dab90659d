"""OCR service: optimize the PP-OCR detector and recognizer, read rendered pages, report.

optimize_det >> optimize_rec -> registry (best variant per model, with its report);
                                one after the other, so their timings do not collide
render_pages                 -> pages with known text (real fonts)
read_pages                   -> detection + recognition with the registered models
report                       -> character accuracy and pages/s on this machine
"""

from edgeweave.examples.ocr_tasks import ocr_report, read_pages, render_pages
from edgeweave.workflow.authoring import dag, task
from edgeweave.workflow.operators.ai import optimize_model

optimize = task(optimize_model, executor="process")
render = task(render_pages)
read = task(read_pages, retries=1)
report = task(ocr_report)


@dag(tags=["ocr", "example"])
def ocr_service(pages: int = 8, tolerance: float = 0.01, time_budget: float = 600.0):
    """Optimize PP-OCR det + rec, then OCR rendered pages and report accuracy and throughput."""
    det = optimize.override(task_id="optimize_det")(
        model="zoo:ppocr-det", name="ppocr-det", tolerance=tolerance, time_budget=time_budget)
    rec = optimize.override(task_id="optimize_rec")(
        model="zoo:ppocr-rec", name="ppocr-rec", tolerance=tolerance, time_budget=time_budget)
    det >> rec  # never measure two models at once: they would slow each other's timings
    images = render(pages)
    report(read(det, rec, images))
