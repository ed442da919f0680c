import Basics
import Foundation
import Torch

/// `--weights-out w.json` / `--weights-file w.json`: one weight per model name, so the weights chosen
/// on OOF files (`{kernel}_{eval}_oof.csv`) find their submissions (`sub_{kernel}_{eval}.csv`) by name.
public struct EnsembleWeightsFile: Sendable, Equatable {
    public var weights: [String: Double]
    /// The scores that justified them, kept for whoever opens the file later.
    public var scores: [String: Double]

    public init(weights: [String: Double], scores: [String: Double] = [:]) {
        self.weights = weights
        self.scores = scores
    }

    /// The model name of an OOF file or a submission: `k_best_oof.csv` and `sub_k_best.csv` are both `k_best`.
    public static func modelName(_ url: URL) -> String {
        var s = url.deletingPathExtension().lastPathComponent
        if s.hasSuffix("_oof") { s.removeLast(4) }
        if s.hasPrefix("sub_") { s.removeFirst(4) }
        return s
    }

    public func write(to url: URL) throws {
        let object: [String: Any] = ["weights": weights, "scores": scores.filter { $0.value.isFinite }]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data, to: url)
    }

    public static func read(_ url: URL) throws -> EnsembleWeightsFile {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) } catch {
            throw RunError("\(url.path): not a JSON weights file (\(error.localizedDescription))")
        }
        guard let top = object as? [String: Any], let w = top["weights"] as? [String: Any] else {
            throw RunError("\(url.path): no \"weights\" object (model name -> weight)")
        }
        var weights: [String: Double] = [:]
        for (name, v) in w {
            guard let x = (v as? NSNumber)?.doubleValue, x.isFinite, x >= 0 else {
                throw RunError("\(url.path), key weights.\(name): '\(v)' is not a non-negative number")
            }
            weights[name] = x
        }
        let scores = ((top["scores"] as? [String: Any]) ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        return EnsembleWeightsFile(weights: weights, scores: scores)
    }

    /// The weight of each submission, matched by model name; a submission without a weight is an error
    /// naming it and the names the file has.
    public func weights(for submissions: [URL], file: String) throws -> [Double] {
        let w = try submissions.map { url -> Double in
            guard let x = weights[EnsembleWeightsFile.modelName(url)] else {
                throw RunError("\(file): no weight for \(url.lastPathComponent) (model "
                    + "'\(EnsembleWeightsFile.modelName(url))'; the file has \(weights.keys.sorted().joined(separator: ", ")))")
            }
            return x
        }
        guard w.contains(where: { $0 > 0 }) else { throw RunError("\(file): every submission's weight is zero") }
        return w
    }
}
