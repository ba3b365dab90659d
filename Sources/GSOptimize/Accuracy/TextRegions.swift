import GSExec

/// The text boxes a DB (differentiable binarization) detector's probability map stands for,
/// found the way PP-OCR's post-processing finds them: regions of pixels above 0.3, each
/// kept when its mean probability is at least 0.5 and its shorter side at least 3 pixels,
/// then grown by `unclipRatio` (the map marks a shrunk core of each line). Boxes are
/// axis-aligned, in the map's pixels (the input's, for DB).
enum TextRegions {
    struct Region {
        var box: Detections.Box
        var area: Int
        var probabilitySum: Float
        var meanProbability: Float { area == 0 ? 0 : probabilitySum / Float(area) }
    }

    /// 4-connected regions of `map` ([..., H, W]) above `threshold`.
    static func regions(_ map: Tensor, threshold: Float = 0.3) -> [Region] {
        guard map.rank >= 2 else { return [] }
        let height = map.shape[map.rank - 2]
        let width = map.shape[map.rank - 1]
        let values = map.floatValues
        var seen = [Bool](repeating: false, count: width * height)
        var regions: [Region] = []
        var stack: [Int] = []
        for start in 0..<(width * height) where !seen[start] && values[start] > threshold {
            var region = Region(
                box: Detections.Box(x0: .infinity, y0: .infinity, x1: -.infinity, y1: -.infinity, label: 0), area: 0,
                probabilitySum: 0)
            seen[start] = true
            stack.append(start)
            while let index = stack.popLast() {
                region.area += 1
                region.probabilitySum += values[index]
                let x = index % width
                let y = index / width
                region.box.x0 = min(region.box.x0, Float(x))
                region.box.y0 = min(region.box.y0, Float(y))
                region.box.x1 = max(region.box.x1, Float(x + 1))
                region.box.y1 = max(region.box.y1, Float(y + 1))
                for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
                    let nx = x + dx
                    let ny = y + dy
                    guard nx >= 0, nx < width, ny >= 0, ny < height else { continue }
                    let next = ny * width + nx
                    if !seen[next], values[next] > threshold {
                        seen[next] = true
                        stack.append(next)
                    }
                }
            }
            regions.append(region)
        }
        return regions
    }

    /// PP-OCR's boxes: scored regions grown by `distance = area * ratio / perimeter` on each
    /// side, clipped to the map.
    static func boxes(_ map: Tensor, boxThreshold: Float = 0.5, minimumSide: Float = 3, unclipRatio: Float = 1.6)
        -> [Detections.Box]
    {
        guard map.rank >= 2 else { return [] }
        let height = Float(map.shape[map.rank - 2])
        let width = Float(map.shape[map.rank - 1])
        return regions(map).compactMap { region in
            var box = region.box
            let w = box.x1 - box.x0
            let h = box.y1 - box.y0
            guard min(w, h) >= minimumSide, region.meanProbability >= boxThreshold else { return nil }
            let distance = w * h * unclipRatio / (2 * (w + h))
            box.x0 = max(0, box.x0 - distance)
            box.y0 = max(0, box.y0 - distance)
            box.x1 = min(width, box.x1 + distance)
            box.y1 = min(height, box.y1 + distance)
            return box
        }
    }
}
