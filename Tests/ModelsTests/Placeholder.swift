import Testing
import Models
@Test func modelsPlaceholderBuilds() { #expect(Bool(true)) }
