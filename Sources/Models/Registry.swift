import Foundation
import NN
import Torch

/// Backbones by the original's `--enet-type` names.
public enum ModelRegistry {
    public enum Family: Sendable, Equatable {
        case efficientNet(EfficientNetConfig)
        case seResNeXt(SEResNeXtConfig)
        case resNeSt(ResNeStConfig)
    }

    /// Every name, in a stable order: efficientnet_b0...b7, tf_efficientnet_b0_ns...b7_ns,
    /// resnest101, seresnext101.
    public static let entries: [(name: String, family: Family)] = {
        var out: [(String, Family)] = []
        for n in 0 ... 7 { out.append(("efficientnet_b\(n)", .efficientNet(.b(n)))) }
        for n in 0 ... 7 { out.append(("tf_efficientnet_b\(n)_ns", .efficientNet(.b(n, tfPort: true)))) }
        out.append(("resnest101", .resNeSt(.resnest101)))
        out.append(("seresnext101", .seResNeXt(.seresnext101)))
        return out
    }()

    public static var names: [String] { entries.map(\.name) }

    public static func family(_ name: String) throws -> Family {
        guard let e = entries.first(where: { $0.name == name }) else {
            throw ModelError("unknown backbone '\(name)'; known: \(names.joined(separator: ", "))")
        }
        return e.family
    }

    /// A freshly initialised backbone (the library's own init).
    public static func backbone(_ name: String) throws -> Backbone {
        switch try family(name) {
        case .efficientNet(let c): try EfficientNet(c)
        case .seResNeXt(let c): try SEResNeXt(c)
        case .resNeSt(let c): try ResNeSt(c)
        }
    }
}

/// What `loadPretrained` did.
public struct PretrainedReport: Sendable, CustomStringConvertible {
    public var file: String
    public var loaded: Int
    public var skipped: [String]
    public var description: String {
        "\(file): loaded \(loaded) tensors" + (skipped.isEmpty ? "" : "; skipped \(skipped.joined(separator: ", "))")
    }
}

extension Backbone {
    /// Loads ImageNet weights from the reference library's own state_dict (timm / geffnet /
    /// resnest / pretrainedmodels; .pth or .safetensors): the classifier keys are skipped and every
    /// other key must match by name and shape.
    @discardableResult
    public func loadPretrained(from url: URL) throws -> PretrainedReport {
        let prefixes = classifierPrefixes
        let report = try load(contentsOf: url, strict: true) { key in prefixes.contains { key.hasPrefix($0) } }
        return PretrainedReport(file: url.path, loaded: report.loaded.count, skipped: report.skipped)
    }
}
