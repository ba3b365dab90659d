import CPNG
import Foundation
import Testing

@testable import GSPlan

/// The HTML page as a user sees it: rendered by headless Chromium, screenshotted, and the
/// pixels counted. A page that parses but draws nothing (a broken SVG, a view that never
/// shows, a script error that hides everything) fails here and nowhere else.
///
/// Needs the Debian package `chromium`; set GSCTL_SKIP_BROWSER_TESTS=1 to skip on machines
/// without it. GSCTL_UPDATE_SCREENSHOTS=1 also writes the screenshots to docs/screenshots/.
@Suite(
    .serialized,
    .enabled(if: !Chromium.skipped, "GSCTL_SKIP_BROWSER_TESTS=1: browser tests skipped")
)
struct HTMLScreenshotTests {
    /// The browser window the screenshots are taken in.
    static let window = (width: 1400, height: 900)

    @Test func graphViewOfTheExampleSpecsDrawsColouredNodes() throws {
        guard let page = try Self.page(HTMLTestPlans.examples(), name: "examples") else { return }
        defer { try? FileManager.default.removeItem(at: page.deletingLastPathComponent()) }
        let image = try Self.screenshot(page, fragment: "graph", save: "plan-graph.png")
        let fills = Self.kindPixels(image)
        let total = fills.values.reduce(0, +)
        #expect(total > 20_000, "node fills: \(fills)")
        // The first workflow (crowd-density) has five kinds: source, detect, track, analyze, serve
        // (the legend shows every kind too, but in chips of about 1,500 px).
        let drawn = fills.filter { $0.value > 3_000 }.keys.sorted()
        #expect(drawn == ["analyze", "detect", "serve", "source", "track"])
    }

    @Test func treeViewShowsDeploymentsInsteadOfTheGraph() throws {
        guard let page = try Self.page(HTMLTestPlans.examples(), name: "examples") else { return }
        defer { try? FileManager.default.removeItem(at: page.deletingLastPathComponent()) }
        let image = try Self.screenshot(page, fragment: "tree", save: "plan-tree.png")
        let headers = image.count(matching: try #require(RGB(hex: HTMLPalette.deploymentHeader)))
        #expect(headers > 20_000, "deployment headers drawn: \(headers) px")
        let fills = Self.kindPixels(image).values.reduce(0, +)
        #expect(fills < 2_000, "graph nodes still showing in the Tree view: \(fills) px")
    }

    @Test func graphViewOfA200TaskWorkflowStaysReadable() throws {
        guard let page = try Self.page(HTMLTestPlans.generated(), name: "generated") else { return }
        defer { try? FileManager.default.removeItem(at: page.deletingLastPathComponent()) }
        let image = try Self.screenshot(page, fragment: "graph", save: "plan-graph-200.png")
        let fills = Self.kindPixels(image)
        // Shown at a readable zoom, nodes cover a good part of the window, of many kinds.
        #expect(fills.values.reduce(0, +) > 60_000, "node fills: \(fills)")
        #expect(fills.filter { $0.value > 3_000 }.count >= 4, "node fills: \(fills)")
    }

    @Test func scriptFindsTheTaskNamedInTheFragment() throws {
        guard let page = try Self.page(HTMLTestPlans.examples(), name: "examples") else { return }
        defer { try? FileManager.default.removeItem(at: page.deletingLastPathComponent()) }
        let dom = try Self.dumpDOM(page, fragment: "find=track")
        #expect(dom.contains("data-ready=\"true\""), "the page script did not finish")
        let hit = try #require(Self.tag(in: dom, containing: "data-name=\"track\""))
        #expect(hit.contains(" hit"), "the found task is not highlighted: \(hit)")
        #expect(dom.contains("<span id=\"find-count\" class=\"find-count\" aria-live=\"polite\">1 of 1</span>"))
        // A task of another workflow switches the workflow shown.
        let other = try Self.dumpDOM(page, fragment: "find=rec")
        let ocr = try #require(Self.tag(in: other, containing: "data-name=\"ocr-service\""))
        #expect(ocr.contains(" on"), "the workflow holding the match is not shown: \(ocr)")
        let tree = try Self.dumpDOM(page, fragment: "tree")
        #expect(tree.contains("data-view=\"tree\""))
    }

    @Test func scriptCentresTheFoundTaskInALargeWorkflowAndAddsAMinimap() throws {
        guard let page = try Self.page(HTMLTestPlans.generated(), name: "generated") else { return }
        defer { try? FileManager.default.removeItem(at: page.deletingLastPathComponent()) }
        let dom = try Self.dumpDOM(page, fragment: "find=serve-199")
        let hit = try #require(Self.tag(in: dom, containing: "data-name=\"serve-199\""))
        #expect(hit.contains(" hit"))
        #expect(dom.contains("class=\"minimap\""), "no minimap for a graph larger than the window")
        let svg = try #require(Self.tag(in: dom, containing: "id=\"svg-0\""))
        // The last task is at the far right: the view moved there, at zoom 1 or more.
        let width = try #require(Self.attribute("data-w", in: svg).flatMap(Double.init))
        let box = try #require(Self.attribute("viewBox", in: svg)).split(separator: " ").compactMap { Double($0) }
        #expect(box.count == 4 && box[0] > width / 2, "viewBox \(box) of a \(width) px wide graph")
        #expect(box.count == 4 && box[2] <= Double(Self.window.width), "zoomed out below 1: \(box)")
    }

    @Test func scriptZoomsPansFitsAndFollowsEdges() throws {
        guard let page = try Self.page(HTMLTestPlans.generated(), name: "generated") else { return }
        defer { try? FileManager.default.removeItem(at: page.deletingLastPathComponent()) }
        // Drive the page as a user would, then leave the results where --dump-dom shows them.
        let probe = """
            <script>
            (function () {
              var svg = document.getElementById('svg-0'), canvas = svg.parentNode, box = svg.getBoundingClientRect();
              var seen = [svg.getAttribute('viewBox')];
              function fire(target, type, x, y, extra) {
                var init = { bubbles: true, cancelable: true, clientX: x, clientY: y, button: 0, pointerId: 7 };
                for (var key in extra || {}) init[key] = extra[key];
                target.dispatchEvent(type === 'wheel' ? new WheelEvent(type, init) : new PointerEvent(type, init));
              }
              fire(canvas, 'wheel', box.left + 200, box.top + 200, { deltaY: -400 });
              seen.push(svg.getAttribute('viewBox'));
              fire(canvas, 'pointerdown', box.left + 600, box.top + 300);
              fire(canvas, 'pointermove', box.left + 500, box.top + 250);
              fire(canvas, 'pointerup', box.left + 500, box.top + 250);
              seen.push(svg.getAttribute('viewBox'));
              document.querySelector('[data-zoom="fit"]').click();
              seen.push(svg.getAttribute('viewBox'));
              var node = svg.querySelector('.node[data-name="track-014"] .box');
              fire(node, 'pointerdown', 0, 0);
              fire(node, 'pointerup', 0, 0);
              document.body.setAttribute('data-probe', seen.join(';'));
            })();
            </script>
            """
        let html = try String(contentsOf: page, encoding: .utf8).replacingOccurrences(
            of: "</body>", with: probe + "</body>")
        try Data(html.utf8).write(to: page)
        let dom = try Self.dumpDOM(page, fragment: "graph")
        let body = try #require(Self.tag(in: dom, containing: "data-probe="))
        let boxes = try #require(Self.attribute("data-probe", in: body)).split(separator: ";").map {
            $0.split(separator: " ").compactMap { Double($0) }
        }
        try #require(boxes.count == 4 && boxes.allSatisfy { $0.count == 4 }, "viewBoxes: \(boxes)")
        let (first, zoomed, panned, fitted) = (boxes[0], boxes[1], boxes[2], boxes[3])
        #expect(zoomed[2] < first[2], "the wheel did not zoom in: \(first) -> \(zoomed)")
        #expect(
            panned[0] > zoomed[0] && panned[1] > zoomed[1], "dragging left and up did not pan: \(zoomed) -> \(panned)")
        #expect(abs(panned[2] - zoomed[2]) < 0.01, "panning changed the zoom")
        let width = try #require(
            Self.tag(in: dom, containing: "id=\"svg-0\"").flatMap { Self.attribute("data-w", in: $0) })
        #expect(fitted[2] >= (Double(width) ?? .infinity) - 1, "Fit does not show the whole width: \(fitted)")
        let selected = try #require(Self.tag(in: dom, containing: "data-name=\"track-014\""))
        #expect(selected.contains(" sel"), "a click did not select the task: \(selected)")
        #expect(dom.contains("class=\"edge on\""), "the selected task's edges are not highlighted")
    }

    // MARK: Helpers

    /// Pixels per task kind whose colour is that kind's node fill.
    static func kindPixels(_ image: RGBAImage) -> [String: Int] {
        var result: [String: Int] = [:]
        for kind in HTMLPalette.kinds {
            guard let colour = RGB(hex: kind.fill) else { continue }
            result[kind.name] = image.count(matching: colour)
        }
        return result
    }

    /// The page for `plan` in a fresh directory, or nil when browser tests are skipped.
    static func page(_ plan: Plan, name: String) throws -> URL? {
        guard try Chromium.available() else { return nil }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gsctl-html-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let page = directory.appendingPathComponent("plan.html")
        try Data(HTMLPlanRenderer.render(plan).utf8).write(to: page)
        return page
    }

    /// A screenshot of `page#fragment`, decoded; also saved under docs/screenshots/ when
    /// GSCTL_UPDATE_SCREENSHOTS=1.
    static func screenshot(_ page: URL, fragment: String, save name: String) throws -> RGBAImage {
        let png = page.deletingLastPathComponent().appendingPathComponent("\(fragment).png")
        _ = try Chromium.run([
            "--window-size=\(window.width),\(window.height)", "--screenshot=\(png.path)",
            page.absoluteString + "#" + fragment,
        ])
        #expect(FileManager.default.fileExists(atPath: png.path), "chromium wrote no screenshot")
        let image = try RGBAImage(pngFile: png.path)
        #expect(image.width == window.width && image.height == window.height)
        if ProcessInfo.processInfo.environment["GSCTL_UPDATE_SCREENSHOTS"] == "1" {
            let folder = URL(fileURLWithPath: HTMLTestPlans.repositoryRoot).appendingPathComponent("docs/screenshots")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let target = folder.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: png, to: target)
        }
        return image
    }

    /// The DOM of `page#fragment` after its script ran.
    static func dumpDOM(_ page: URL, fragment: String) throws -> String {
        try Chromium.run([
            "--window-size=\(window.width),\(window.height)", "--dump-dom", page.absoluteString + "#" + fragment,
        ])
    }

    /// The first start tag that contains `text`.
    static func tag(in html: String, containing text: String) -> String? {
        guard let found = html.range(of: text),
            let start = html[..<found.lowerBound].range(of: "<", options: .backwards),
            let end = html[found.upperBound...].range(of: ">")
        else { return nil }
        return String(html[start.lowerBound..<end.upperBound])
    }

    /// The value of `name="..."` in a start tag.
    static func attribute(_ name: String, in tag: String) -> String? {
        guard let start = tag.range(of: " \(name)=\"") else { return nil }
        let rest = tag[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}

/// Headless Chromium with a fresh profile per run and a hard time limit, so a hung browser
/// fails one test instead of hanging the suite.
enum Chromium {
    /// Seconds one browser run may take.
    static let timeout: TimeInterval = 60

    /// GSCTL_SKIP_BROWSER_TESTS=1 turns the browser tests off (they show as skipped).
    static var skipped: Bool { ProcessInfo.processInfo.environment["GSCTL_SKIP_BROWSER_TESTS"] == "1" }

    /// Whether to run browser tests: true when the browser is installed, false when
    /// GSCTL_SKIP_BROWSER_TESTS=1; otherwise missing Chromium is an error that says how to
    /// install it.
    static func available() throws -> Bool {
        if skipped { return false }
        guard executable() != nil else {
            throw BrowserError(
                "chromium is not installed: `apt-get install chromium` (or set GSCTL_SKIP_BROWSER_TESTS=1 to skip)")
        }
        return true
    }

    /// `chromium` (or `chromium-browser`) on PATH.
    static func executable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let candidate = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    /// Runs the browser headless with `arguments`; returns its standard output. Output
    /// goes to files, so a chatty browser never blocks on a full pipe.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        guard let browser = executable() else {
            throw BrowserError("chromium is not installed: `apt-get install chromium`")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gsctl-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let stdout = folder.appendingPathComponent("stdout")
        let stderr = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let out = try FileHandle(forWritingTo: stdout)
        let err = try FileHandle(forWritingTo: stderr)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                "--user-data-dir=\(folder.appendingPathComponent("profile").path)", "--virtual-time-budget=2000",
            ] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            if finished.wait(timeout: .now() + 5) == .timedOut { kill(process.processIdentifier, SIGKILL) }
            throw BrowserError("chromium did not finish within \(Int(timeout)) s: \(arguments.joined(separator: " "))")
        }
        let output = (try? String(contentsOf: stdout, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let log = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
            throw BrowserError("chromium exited with \(process.terminationStatus): \(log.suffix(2_000))")
        }
        return output
    }
}

/// A browser run that could not happen or failed; the message says why.
struct BrowserError: Error, CustomStringConvertible {
    /// What went wrong, with the fix when there is one.
    var description: String

    /// An error with `description`.
    init(_ description: String) { self.description = description }
}

/// An sRGB colour, for counting pixels.
struct RGB: Hashable {
    /// Channels, 0-255.
    var red: UInt8, green: UInt8, blue: UInt8

    /// `#rrggbb`, as the palette writes colours.
    init?(hex: String) {
        guard hex.count == 7, hex.hasPrefix("#"), let value = UInt32(hex.dropFirst(), radix: 16) else { return nil }
        red = UInt8((value >> 16) & 0xFF)
        green = UInt8((value >> 8) & 0xFF)
        blue = UInt8(value & 0xFF)
    }
}

/// A decoded PNG (through libpng's simplified API), as 8-bit RGBA rows.
struct RGBAImage {
    /// Size in pixels.
    var width: Int
    /// Size in pixels.
    var height: Int
    /// `width * height * 4` bytes, row by row.
    var pixels: [UInt8]

    /// Reads and converts any PNG to RGBA.
    init(pngFile path: String) throws {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw BrowserError("cannot read \(path): \(Self.message(of: image))")
        }
        image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)  // PNG_FORMAT_RGBA
        let stride = Int(image.width) * 4
        var buffer = [UInt8](repeating: 0, count: stride * Int(image.height))
        let done = buffer.withUnsafeMutableBytes { bytes in
            png_image_finish_read(&image, nil, bytes.baseAddress, Int32(stride), nil)
        }
        guard done != 0 else {
            let message = Self.message(of: image)
            png_image_free(&image)
            throw BrowserError("cannot decode \(path): \(message)")
        }
        width = Int(image.width)
        height = Int(image.height)
        pixels = buffer
    }

    /// libpng's error text, kept in a fixed-size buffer inside the image.
    static func message(of image: png_image) -> String {
        withUnsafeBytes(of: image.message) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Opaque pixels within `tolerance` of `colour` on every channel.
    func count(matching colour: RGB, tolerance: Int = 2) -> Int {
        var total = 0
        var index = 0
        while index + 3 < pixels.count {
            if pixels[index + 3] == 255, abs(Int(pixels[index]) - Int(colour.red)) <= tolerance,
                abs(Int(pixels[index + 1]) - Int(colour.green)) <= tolerance,
                abs(Int(pixels[index + 2]) - Int(colour.blue)) <= tolerance
            {
                total += 1
            }
            index += 4
        }
        return total
    }
}
