import Foundation

extension EpochRecord {
    /// The JSON keys in the order they are written; `images_per_s` is derived, for readers of the file.
    static let historyKeys = ["fold", "epoch", "lr", "train_loss", "valid_loss", "acc", "auc", "auc_20", "train_images",
                              "images_per_s", "train_seconds", "valid_seconds"]

    /// One JSON object on one line. Non-finite numbers are `null`: JSON has no NaN, and a reader such as
    /// `json.loads` or `jq` must not choke on a fold whose AUC was undefined.
    public var jsonLine: String {
        let values: [Double] = [Double(fold), Double(epoch), lr, trainLoss, validLoss, acc, auc, auc20, Double(trainImages),
                                trainImagesPerSecond, trainSeconds, validSeconds]
        let integers: Set<String> = ["fold", "epoch", "train_images"]
        let fields = zip(EpochRecord.historyKeys, values).map { key, v -> String in
            let text = !v.isFinite ? "null" : integers.contains(key) ? String(Int(v)) : "\(v)"
            return "\"\(key)\":\(text)"
        }
        return "{" + fields.joined(separator: ",") + "}"
    }
}

/// `{log_dir}/log_{kernel_type}.jsonl`: one `EpochRecord` per line, appended next to the text log
/// (which keeps the original's format), so reports need not parse ctime lines.
public struct TrainHistory: Sendable {
    public let url: URL

    public init(logDir: URL, kernelType: String) {
        url = logDir.appendingPathComponent(TrainHistory.fileName(kernelType: kernelType))
    }

    public init(url: URL) { self.url = url }

    public static func fileName(kernelType: String) -> String { "log_\(kernelType).jsonl" }

    public func append(_ record: EpochRecord) throws {
        try TrainLog(url: url).append(record.jsonLine)
    }

    /// Reads every line; a line that is not such an object (or lacks fold/epoch) is an error naming the
    /// file and line. A missing or null number reads as NaN, so older or newer files still load.
    /// A fold trained twice (a rerun without --resume) keeps its last run's epochs.
    public static func read(_ url: URL) throws -> [EpochRecord] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw RunError("\(url.path): cannot read: \(error.localizedDescription)")
        }
        var entries: [EpochRecord] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            // JSONDecoder reads numbers exactly (JSONSerialization can be an ulp off on Linux).
            let e: EpochRecord
            do { e = try JSONDecoder().decode(HistoryLine.self, from: Data(trimmed.utf8)).entry } catch {
                throw RunError("\(url.path) line \(n + 1): not a history entry (\(HistoryLine.describe(error)))")
            }
            // A restarted fold begins again at an epoch not after the last one seen: drop the old run.
            if let last = entries.last(where: { $0.fold == e.fold }), e.epoch <= last.epoch {
                entries.removeAll { $0.fold == e.fold }
            }
            entries.append(e)
        }
        return entries
    }
}

/// The decoded form of one line; `null` numbers (undefined AUCs) become NaN.
private struct HistoryLine: Decodable {
    var fold: Int, epoch: Int
    var train_images: Int?
    var lr, train_loss, valid_loss, acc, auc, auc_20, train_seconds, valid_seconds: Double?

    var entry: EpochRecord {
        EpochRecord(fold: fold, epoch: epoch, lr: lr ?? .nan, trainLoss: train_loss ?? .nan, validLoss: valid_loss ?? .nan,
                    acc: acc ?? .nan, auc: auc ?? .nan, auc20: auc_20 ?? .nan, trainImages: train_images ?? 0,
                    trainSeconds: train_seconds ?? .nan, validSeconds: valid_seconds ?? .nan)
    }

    /// The key a decoding error is about, when it names one.
    static func describe(_ error: Error) -> String {
        switch error as? DecodingError {
        case let .keyNotFound(key, _)?: return "key \(key.stringValue) missing"
        case let .typeMismatch(_, c)?, let .valueNotFound(_, c)?:
            return "key \(c.codingPath.map(\.stringValue).joined(separator: ".")) is not a number"
        default: return "not a JSON object"
        }
    }
}
