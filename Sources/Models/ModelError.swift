/// What the Models layer refuses: an unknown backbone, a head spec that cannot be built, a checkpoint file that
/// cannot be converted.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
