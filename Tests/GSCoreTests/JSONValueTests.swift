import GSCore
import Testing

@Suite struct JSONValueTests {
    @Test func keysAreSortedByBytesWhateverTheInsertionOrder() {
        let a: JSONValue = ["b": 1, "a": 2, "B": 3, "é": 4]
        #expect(a.canonical == #"{"B":3,"a":2,"b":1,"é":4}"#)
    }

    @Test func stringsEscapeQuotesBackslashesAndControlCharacters() {
        let value = JSONValue.string("a\"b\\c\nd\u{01}/")
        #expect(value.canonical == #""a\"b\\c\nd\u0001/""#)
    }

    @Test func numbersHaveOneSpelling() {
        #expect(JSONValue.double(2).canonical == "2")
        #expect(JSONValue.double(0.5).canonical == "0.5")
        #expect(JSONValue.double(.nan).canonical == "null")
        #expect(JSONValue.int(-7).canonical == "-7")
    }

    @Test func prettyFormIsIndentedAndEndsInANewline() {
        let value: JSONValue = ["list": [1, 2], "empty": [:], "none": [], "name": "x"]
        #expect(
            value.pretty == """
                {
                  "empty": {},
                  "list": [
                    1,
                    2
                  ],
                  "name": "x",
                  "none": []
                }

                """)
    }
}
