import Testing
import MelanomaKit
@Test func kitPlaceholderBuilds() { #expect(Bool(true)) }
