/// Numbers with a fixed number of decimals for reports and tables, what `%.2f` gives,
/// without Foundation: gsctl ships to devices as one static binary, and linking Foundation
/// (with its ICU data) would more than double its size.
public enum DecimalText {
    /// `value` rounded to `digits` decimals (half away from zero); `nan`, `inf`, `-inf`
    /// as C's printf writes them.
    public static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : value < 0 ? "-inf" : "inf" }
        let digits = max(0, min(digits, 12))
        var scale: UInt64 = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * Double(scale)).rounded()
        guard scaled < 9e18 else { return String(value) }
        let units = UInt64(scaled)
        var text = value < 0 && units != 0 ? "-" : ""
        text += String(units / scale)
        if digits > 0 {
            let fraction = String(units % scale)
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return text
    }
}
