import GSCore
import Testing

/// Report and table numbers read as `%.Nf` would print them.
struct DecimalTextTests {
    @Test(arguments: [
        (3.14159, 2, "3.14"), (2.5, 0, "3"), (0.125, 2, "0.13"), (-1.05, 1, "-1.1"), (0.004, 2, "0.00"),
        (-0.004, 2, "0.00"), (1234567.891, 1, "1234567.9"), (0.5, 3, "0.500"), (7, 0, "7"), (0.0996, 2, "0.10"),
    ])
    func roundsToTheDigitsAsked(value: Double, digits: Int, text: String) {
        #expect(DecimalText.fixed(value, digits: digits) == text)
    }

    @Test func nonFiniteNumbersReadAsPrintfWritesThem() {
        #expect(DecimalText.fixed(.nan, digits: 2) == "nan")
        #expect(DecimalText.fixed(.infinity, digits: 1) == "inf")
        #expect(DecimalText.fixed(-.infinity, digits: 1) == "-inf")
    }
}
