"""PP-OCR's three models around onnxruntime, for the ocr-service tasks: DB text detection,
the 0/180 degree direction classifier and CTC text recognition. Shapes come from the
model's input when it is static (a compiled variant with fixed shapes), else PP-OCR's
defaults. Kept apart from the tasks so tests can run each step on real images."""

import sys

sys.dont_write_bytecode = True

import math  # noqa: E402

import numpy as np  # noqa: E402


def session(path, threads=0):
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = int(threads)
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def feed(sess, array):
    """`array` in the element type the model's input declares: float16 for an fp16 variant
    compiled with a float16 interface (the Model's fp16Interface), else float32."""
    return array.astype(np.float16 if sess.get_inputs()[0].type == "tensor(float16)" else np.float32, copy=False)


def static_hw(sess, height, width):
    shape = sess.get_inputs()[0].shape
    h = shape[2] if isinstance(shape[2], int) else height
    w = shape[3] if isinstance(shape[3], int) else width
    return h, w, isinstance(shape[2], int) and isinstance(shape[3], int)


def normalize(image_bgr):
    """PP-OCR's (x / 255 - 0.5) / 0.5, HWC uint8 -> CHW float32."""
    return ((image_bgr.astype(np.float32) / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)


class TextDetector:
    """DB (differentiable binarization): a probability map, thresholded, each region's
    minimum-area rectangle scored by its mean probability and grown by `unclip_ratio`."""

    def __init__(self, path, threads=0, limit_side=960):
        self.session = session(path, threads)
        self.name = self.session.get_inputs()[0].name
        self.height, self.width, self.fixed = static_hw(self.session, 0, 0)
        self.limit_side = limit_side

    def detect(self, image, threshold=0.3, box_threshold=0.5, unclip_ratio=1.6, min_size=3):
        import cv2

        height, width = image.shape[:2]
        if self.fixed:
            # Never enlarged: at a larger scale than it was trained on, DB splits a line at its
            # word gaps (PP-OCR's own resize only ever shrinks to its side limit).
            scale = min(1.0, self.height / height, self.width / width)
            new_h, new_w = max(1, int(height * scale)), max(1, int(width * scale))
            canvas_h, canvas_w = self.height, self.width
        else:
            scale = min(1.0, self.limit_side / max(height, width))
            new_h = max(32, int(round(height * scale / 32)) * 32)
            new_w = max(32, int(round(width * scale / 32)) * 32)
            canvas_h, canvas_w = new_h, new_w
        resized = cv2.resize(image, (new_w, new_h))
        canvas = np.zeros((canvas_h, canvas_w, 3), dtype=np.uint8)
        canvas[:new_h, :new_w] = resized
        prob = self.session.run(None, {self.name: feed(self.session, normalize(canvas)[None])})[0][0, 0][:new_h, :new_w]
        contours, _ = cv2.findContours((prob > threshold).astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        boxes = []
        sx, sy = width / new_w, height / new_h
        for contour in contours:
            (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
            if min(w, h) < min_size:
                continue
            mask = np.zeros_like(prob, dtype=np.uint8)
            cv2.fillPoly(mask, [contour.reshape(-1, 2)], 1)
            score = float(prob[mask > 0].mean()) if mask.any() else 0.0
            if score < box_threshold:
                continue
            distance = w * h * unclip_ratio / (2 * (w + h))
            points = cv2.boxPoints(((cx, cy), (w + 2 * distance, h + 2 * distance), angle))
            points[:, 0] = np.clip(points[:, 0] * sx, 0, width - 1)
            points[:, 1] = np.clip(points[:, 1] * sy, 0, height - 1)
            boxes.append({"points": order_points(points).round(1).tolist(), "score": round(score, 4)})
        boxes.sort(key=lambda b: (round(b["points"][0][1] / 10), b["points"][0][0]))  # reading order
        return boxes


def order_points(points):
    """top-left, top-right, bottom-right, bottom-left."""
    points = np.asarray(points, dtype=np.float32)
    by_x = points[np.argsort(points[:, 0])]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1])]
    tr, br = right[np.argsort(right[:, 1])]
    return np.array([tl, tr, br, bl], dtype=np.float32)


def crop(image, points):
    """The box's pixels warped upright; tall crops (vertical text) turned to lie flat."""
    import cv2

    points = np.asarray(points, dtype=np.float32)
    width = int(max(np.linalg.norm(points[0] - points[1]), np.linalg.norm(points[2] - points[3])))
    height = int(max(np.linalg.norm(points[0] - points[3]), np.linalg.norm(points[1] - points[2])))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    out = cv2.warpPerspective(image, cv2.getPerspectiveTransform(points, target), (width, height),
                              borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if height / width >= 1.5:
        out = np.rot90(out)
    return np.ascontiguousarray(out)


def fit(image, height, width):
    """Resize to `height`, keep the aspect up to `width`, pad right with zeros (normalized)."""
    import cv2

    h, w = image.shape[:2]
    new_w = min(width, max(1, int(math.ceil(height * w / h))))
    resized = normalize(cv2.resize(image, (new_w, height)))
    padded = np.zeros((3, height, width), dtype=np.float32)
    padded[:, :, :new_w] = resized
    return padded


class DirectionClassifier:
    def __init__(self, path, threads=0):
        self.session = session(path, threads)
        self.name = self.session.get_inputs()[0].name
        self.height, self.width, _ = static_hw(self.session, 48, 192)

    def upside_down(self, crops, threshold=0.9):
        """[(flipped, score)] per crop: flipped when the model says 180 degrees with `threshold`."""
        if not crops:
            return []
        results = []
        for image in crops:  # batch of one: compiled variants have a static batch of 1
            tensor = feed(self.session, fit(image, self.height, self.width)[None])
            probs = self.session.run(None, {self.name: tensor})[0][0]
            label = int(np.argmax(probs))
            results.append((label == 1 and float(probs[1]) >= threshold, round(float(probs[label]), 4)))
        return results


class TextRecognizer:
    def __init__(self, path, threads=0):
        self.session = session(path, threads)
        self.name = self.session.get_inputs()[0].name
        self.height, self.width, self.fixed = static_hw(self.session, 48, 320)
        meta = self.session.get_modelmeta().custom_metadata_map
        if "character" not in meta:
            raise SystemExit(f"{path}: no `character` dictionary in the model's metadata (PP-OCR rec export)")
        self.characters = ["blank"] + meta["character"].splitlines() + [" "]

    def recognize(self, image):
        """(text, confidence) by greedy CTC decoding."""
        width = self.width
        if not self.fixed:  # a dynamic width: long lines keep their aspect instead of being squeezed
            width = max(width, int(math.ceil(self.height * image.shape[1] / image.shape[0])))
        probs = self.session.run(None, {self.name: feed(self.session, fit(image, self.height, width)[None])})[0][0]
        best = probs.argmax(axis=1)
        text, scores, last = [], [], 0
        for step, index in enumerate(best):
            if index != 0 and index != last:
                text.append(self.characters[index] if index < len(self.characters) else "")
                scores.append(float(probs[step, index]))
            last = index
        return "".join(text), round(float(np.mean(scores)) if scores else 0.0, 4)
