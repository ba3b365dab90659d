import GSCore
import Testing

@Suite struct SuggestTests {
    @Test(arguments: [
        ("precison", "precision"),
        ("prot", "port"),
        ("Precision", "precision"),
        ("workfow", "workflow"),
    ])
    func nearMissesGetASuggestion(typo: String, expected: String) {
        let keys = ["precision", "port", "workflow", "targets", "rollout"]
        #expect(Suggest.nearest(to: typo, in: keys) == expected)
    }

    @Test func farWordsGetNone() {
        #expect(Suggest.nearest(to: "banana", in: ["precision", "port"]) == nil)
    }

    @Test func transpositionIsOneEdit() {
        #expect(Suggest.distance("prot", "port") == 1)
        #expect(Suggest.distance("kitten", "sitting") == 3)
    }
}
