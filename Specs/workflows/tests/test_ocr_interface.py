"""The OCR task code feeds each model the element type its input declares: an fp16 variant
compiled with a float16 interface (a Model's `fp16Interface: true`) takes float16, and
must read the same directions and text as the float32 model it came from."""

import csv
import os
import tempfile
import unittest

import cv2
import onnx
from onnx import TensorProto, helper

import support
import ocr

MODELS = os.path.join(support.REPO, "Specs", "models")
LINES = os.path.join(support.REPO, "Specs", "data", "text-lines")


def float16_interface(source, target):
    """`source` behind a float16 border: its float32 input and outputs become float16, with
    Casts to and from float32 inside (the interface gsctl's fp16 variant gets)."""
    model = onnx.load(source)
    graph = model.graph
    nodes = []
    for value in graph.input:
        inner = value.name + "__f32"
        for node in graph.node:
            node.input[:] = [inner if name == value.name else name for name in node.input]
        nodes.append(helper.make_node("Cast", [value.name], [inner], to=TensorProto.FLOAT))
        value.type.tensor_type.elem_type = TensorProto.FLOAT16
    body = nodes + list(graph.node)
    del graph.node[:]
    graph.node.extend(body)
    for value in graph.output:
        inner = value.name + "__f32"
        for node in graph.node:
            node.output[:] = [inner if name == value.name else name for name in node.output]
        graph.node.append(helper.make_node("Cast", [inner], [value.name], to=TensorProto.FLOAT16))
        value.type.tensor_type.elem_type = TensorProto.FLOAT16
    onnx.save(model, target)


class FloatInterfaceTests(unittest.TestCase):
    def test_float16_interface_models_read_what_the_float32_ones_read(self):
        with open(os.path.join(LINES, "labels.tsv")) as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))[:8]
        images = [cv2.imread(os.path.join(LINES, row["file"]), cv2.IMREAD_COLOR) for row in rows]
        with tempfile.TemporaryDirectory() as work:
            cls16, rec16 = os.path.join(work, "cls16.onnx"), os.path.join(work, "rec16.onnx")
            float16_interface(os.path.join(MODELS, "ppocr_cls.onnx"), cls16)
            float16_interface(os.path.join(MODELS, "ppocrv4_rec.onnx"), rec16)
            classifier16 = ocr.DirectionClassifier(cls16)
            self.assertEqual(classifier16.session.get_inputs()[0].type, "tensor(float16)")
            directions16 = [flipped for flipped, _ in classifier16.upside_down(images)]
            directions = [flipped for flipped, _ in ocr.DirectionClassifier(os.path.join(MODELS, "ppocr_cls.onnx"))
                          .upside_down(images)]
            recognizer16 = ocr.TextRecognizer(rec16)
            recognizer = ocr.TextRecognizer(os.path.join(MODELS, "ppocrv4_rec.onnx"))
            upright = [cv2.rotate(image, cv2.ROTATE_180) if row["rotated"] == "1" else image
                       for image, row in zip(images, rows)]
            texts16 = [recognizer16.recognize(image)[0] for image in upright]
            texts = [recognizer.recognize(image)[0] for image in upright]
        self.assertEqual(directions16, directions)
        self.assertEqual(directions, [row["rotated"] == "1" for row in rows])
        self.assertEqual(texts16, texts)
        self.assertTrue(any(texts), texts)


if __name__ == "__main__":
    unittest.main()
