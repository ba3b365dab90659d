"""The person detector the `detect` task runs: SSD-style models exported from the TensorFlow
Object Detection API (uint8 NHWC input; boxes, scores, classes and a count out), run with
onnxruntime. Kept apart from the task so tests can run it on frames directly."""

import sys

sys.dont_write_bytecode = True

import numpy as np  # noqa: E402


class Detector:
    def __init__(self, model_path, threads=0, classes=(1,), spin=True):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        if not spin:
            # onnxruntime's worker threads busy-wait between runs by default; in a pipeline of
            # processes on few cores that steals the CPU the other stages need.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
        entry = self.session.get_inputs()[0]
        self.input_name = entry.name
        self.input_type = entry.type
        shape = entry.shape
        # A fixed input size when the compiled variant has static shapes; 300x300 otherwise.
        self.height = shape[1] if isinstance(shape[1], int) else 300
        self.width = shape[2] if isinstance(shape[2], int) else 300
        self.outputs = {o.name.split(":")[0]: o.name for o in self.session.get_outputs()}
        self.classes = set(classes)

    def preprocess(self, image_bgr):
        import cv2

        resized = cv2.resize(image_bgr, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        rgb = cv2.cvtColor(resized, cv2.COLOR_BGR2RGB)
        return rgb[np.newaxis, ...]

    OUTPUTS = ("detection_boxes", "detection_scores", "detection_classes", "num_detections")

    def infer(self, tensor):
        """The model's boxes, scores, classes and count (another runtime overrides only this)."""
        return self.session.run([self.outputs[n] for n in self.OUTPUTS], {self.input_name: tensor})

    def detect(self, image_bgr, score_threshold=0.45):
        """Boxes as [x1, y1, x2, y2, score] in the frame's pixels, best first."""
        height, width = image_bgr.shape[:2]
        boxes, scores, classes, count = self.infer(self.preprocess(image_bgr))
        found = []
        for i in range(int(count[0])):
            score = float(scores[0, i])
            if score < score_threshold or int(classes[0, i]) not in self.classes:
                continue
            y1, x1, y2, x2 = (float(v) for v in boxes[0, i])
            found.append([round(x1 * width, 1), round(y1 * height, 1), round(x2 * width, 1), round(y2 * height, 1),
                          round(score, 4)])
        found.sort(key=lambda box: -box[4])
        return found
