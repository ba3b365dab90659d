import GSExec

/// How a variant's outputs are scored against the float model's on the same samples
/// (1 = identical behaviour). The drop from 1 is what a Model's tolerance bounds.
public enum AccuracyMetric: String, Sendable, Hashable, CaseIterable {
    /// Fraction of samples whose top-1 class agrees (classifiers, direction classifiers).
    case top1Agreement = "top1-agreement"
    /// F1 of the detections, matched at IoU 0.5 with the same class (SSD-style outputs:
    /// boxes [.., N, 4] with scores and optional classes and count).
    case boxF1 = "box-f1"
    /// Fraction of samples whose number of detections at or above the score threshold equals
    /// the float model's, with no band: a counting service shows exactly that number, so a
    /// score crossing the threshold is a changed count.
    case countAgreement = "count-agreement"
    /// F1 of the text regions of a probability map (DB detectors such as PP-OCR's),
    /// matched at IoU 0.5.
    case mapBoxF1 = "map-box-f1"
    /// Character agreement of CTC greedy decodings (text recognisers).
    case ctcAgreement = "ctc-agreement"
    /// 1 - the largest output difference relative to the largest float output, clipped to 0.
    case outputError = "output-error"

    /// Scores `candidate` against `reference`, sample by sample; detection metrics count
    /// boxes scoring at least `scoreThreshold`, and box-f1 forgives a score that moves less
    /// than `scoreMargin` across it (0: every crossing is a lost or new detection).
    public func score(
        reference: [[String: Tensor]], candidate: [[String: Tensor]], scoreThreshold: Float = Detections.scoreThreshold,
        scoreMargin: Float = Detections.margin
    ) -> Double {
        guard !reference.isEmpty, reference.count == candidate.count else { return 0 }
        return value(
            of: rowsPerSample(
                reference: reference, candidate: candidate, scoreThreshold: scoreThreshold, scoreMargin: scoreMargin))
    }

    /// One row of numbers per sample whose column sums (the largest value, for
    /// output-error) give the score: a resampled set of rows scores a resampled evaluation
    /// without decoding the outputs again (`ScoreInterval`).
    func rowsPerSample(
        reference: [[String: Tensor]], candidate: [[String: Tensor]], scoreThreshold: Float, scoreMargin: Float
    ) -> [[Double]] {
        zip(reference, candidate).map { r, c in
            switch self {
            case .countAgreement:
                let same =
                    Detections.fromSSD(r, threshold: scoreThreshold).count
                    == Detections.fromSSD(c, threshold: scoreThreshold).count
                return [same ? 1 : 0]
            case .top1Agreement:
                guard let name = r.keys.sorted().first, let a = r[name], let b = c[name] else { return [0] }
                return [Detections.argmax(a.floatValues) == Detections.argmax(b.floatValues) ? 1 : 0]
            case .boxF1:
                // Recall: reference boxes above the threshold found among candidate boxes above
                // it minus a margin; precision the other way round. The margin keeps a score
                // moving from 0.31 to 0.29 from counting as a lost detection (hysteresis); a
                // margin of 0 is the strict F1 a service thresholding at exactly this score sees.
                let low = scoreThreshold - scoreMargin
                let referenceBoxes = Detections.fromSSD(r, threshold: scoreThreshold)
                let candidateBoxes = Detections.fromSSD(c, threshold: scoreThreshold)
                return [
                    Double(Detections.matches(referenceBoxes, Detections.fromSSD(c, threshold: low))),
                    Double(referenceBoxes.count),
                    Double(Detections.matches(candidateBoxes, Detections.fromSSD(r, threshold: low))),
                    Double(candidateBoxes.count),
                ]
            case .mapBoxF1:
                guard let name = r.keys.sorted().first, let a = r[name], let b = c[name] else { return [0, 0] }
                let ra = Detections.fromProbabilityMap(a)
                let rb = Detections.fromProbabilityMap(b)
                return [Double(Detections.matches(ra, rb)), Double(ra.count + rb.count)]
            case .ctcAgreement:
                guard let name = r.keys.sorted().first, let a = r[name], let b = c[name] else { return [0, 0] }
                let expected = CTC.greedy(a)
                let actual = CTC.greedy(b)
                return [Double(CTC.editDistance(expected, actual)), Double(max(expected.count, 1))]
            case .outputError:
                var worst = 0.0
                for (name, a) in r {
                    guard let b = c[name] else { return [.infinity] }
                    let x = a.floatValues
                    let y = b.floatValues
                    guard x.count == y.count else { return [.infinity] }
                    let scale = Double(x.map { abs($0) }.max() ?? 0)
                    var difference = 0.0
                    for i in 0..<x.count { difference = max(difference, Double(abs(x[i] - y[i]))) }
                    worst = max(worst, scale > 0 ? difference / scale : difference)
                }
                return [worst]
            }
        }
    }

    /// The score of a set of per-sample rows.
    func value(of rows: [[Double]]) -> Double {
        guard let width = rows.first?.count else { return 0 }
        if self == .outputError { return max(0, 1 - (rows.map { $0[0] }.max() ?? 0)) }
        var sums = [Double](repeating: 0, count: width)
        for row in rows { for column in 0..<width { sums[column] += row[column] } }
        switch self {
        case .countAgreement, .top1Agreement:
            return sums[0] / Double(rows.count)
        case .boxF1:
            let r = sums[1] == 0 ? 1 : sums[0] / sums[1]
            let p = sums[3] == 0 ? 1 : sums[2] / sums[3]
            return r + p == 0 ? 0 : 2 * r * p / (r + p)
        case .mapBoxF1:
            return sums[1] == 0 ? 1 : 2 * sums[0] / sums[1]
        case .ctcAgreement:
            return max(0, 1 - sums[0] / max(sums[1], 1))
        case .outputError:
            return 0
        }
    }
}

/// Boxes with a class and score, and the matching F1 is built on.
public enum Detections {
    struct Box {
        var x0, y0, x1, y1: Float
        var label: Int
    }

    public static let scoreThreshold: Float = 0.3
    /// Half-width of the band around the threshold where a score change is not a new or lost
    /// detection (box-f1's default; a Model's `evaluation.scoreMargin`).
    public static let margin: Float = 0.05

    static func argmax(_ values: [Float]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }

    /// Detections from SSD-style outputs: the output whose last axis is 4 holds boxes, a
    /// float output with the same leading shape holds scores (the one named like scores
    /// when several), an optional one classes, and a count may cut the list.
    static func fromSSD(_ outputs: [String: Tensor], threshold: Float = scoreThreshold) -> [Box] {
        guard let boxes = outputs.first(where: { $0.value.shape.last == 4 && $0.value.rank >= 2 })?.value else {
            return []
        }
        let count = boxes.count / 4
        let lists = outputs.filter { $0.value.count == count && $0.value.shape.last != 4 }
        let scores = (lists.first { $0.key.lowercased().contains("score") } ?? lists.first)?.value.floatValues ?? []
        let classes = lists.first { $0.key.lowercased().contains("class") }?.value.floatValues
        let limit = outputs.first { $0.value.count == 1 && $0.key.lowercased().contains("num") }?.value.floatValues
            .first
        let values = boxes.floatValues
        var result: [Box] = []
        for i in 0..<min(count, limit.map { Int($0) } ?? count) where i < scores.count && scores[i] >= threshold {
            result.append(
                Box(
                    x0: values[i * 4 + 1], y0: values[i * 4], x1: values[i * 4 + 3], y1: values[i * 4 + 2],
                    label: classes.map { Int($0[i]) } ?? 0))
        }
        return result
    }

    /// Text regions of a [1, 1, H, W] probability map: connected components of pixels
    /// above 0.3 (the DB threshold), as bounding boxes, small specks ignored.
    static func fromProbabilityMap(_ map: Tensor) -> [Box] {
        TextRegions.regions(map).filter { $0.area >= 16 }.map(\.box)
    }

    /// Greedy one-to-one matches at IoU >= 0.5 with equal labels.
    static func matches(_ a: [Box], _ b: [Box]) -> Int {
        var used = [Bool](repeating: false, count: b.count)
        var count = 0
        for box in a {
            var best = -1
            var bestIoU: Float = 0.5
            for (index, other) in b.enumerated() where !used[index] && other.label == box.label {
                let value = iou(box, other)
                if value >= bestIoU {
                    bestIoU = value
                    best = index
                }
            }
            if best >= 0 {
                used[best] = true
                count += 1
            }
        }
        return count
    }

    static func iou(_ a: Box, _ b: Box) -> Float {
        let w = max(0, min(a.x1, b.x1) - max(a.x0, b.x0))
        let h = max(0, min(a.y1, b.y1) - max(a.y0, b.y0))
        let intersection = w * h
        let union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - intersection
        return union > 0 ? intersection / union : 0
    }
}

/// Greedy CTC decoding (PP-OCR's recogniser: index 0 is the blank) and edit distance.
enum CTC {
    static func greedy(_ probabilities: Tensor) -> [Int] {
        guard probabilities.rank >= 2 else { return [] }
        let classes = probabilities.shape[probabilities.rank - 1]
        let steps = probabilities.count / max(classes, 1)
        let values = probabilities.floatValues
        var result: [Int] = []
        var previous = -1
        for t in 0..<steps {
            let row = values[(t * classes)..<((t + 1) * classes)]
            let best = row.indices.max { row[$0] < row[$1] }.map { $0 - t * classes } ?? 0
            if best != previous, best != 0 { result.append(best) }
            previous = best
        }
        return result
    }

    /// Levenshtein distance (class indices here, characters for labelled text).
    static func editDistance<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
