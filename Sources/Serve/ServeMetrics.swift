import Foundation

/// A 4xx/5xx answer: the status, the request field at fault (image, age, sex, site, ...), and a message.
public struct ServeError: Error, CustomStringConvertible, Sendable {
    public let status: Int
    public let field: String?
    public let message: String

    public init(status: Int, field: String?, _ message: String) {
        self.status = status
        self.field = field
        self.message = message
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }
}

/// Counters and histograms in Prometheus' text format: requests by route and status, latency, batch sizes,
/// errors by field.
public final class ServeMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [String: Int] = [:]
    private var errors: [String: Int] = [:]
    static let latencyBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    private var latencyCounts = [Int](repeating: 0, count: ServeMetrics.latencyBuckets.count)
    private var latencySum = 0.0, latencyCount = 0
    private var batchCounts: [Int: Int] = [:]
    private var batchImages = 0

    public init() {}

    public func observeRequest(route: String, status: Int, seconds: Double) {
        lock.withLock {
            requests["route=\"\(route)\",status=\"\(status)\"", default: 0] += 1
            if route == "/v1/predict" {
                for (i, b) in ServeMetrics.latencyBuckets.enumerated() where seconds <= b { latencyCounts[i] += 1 }
                latencySum += seconds
                latencyCount += 1
            }
        }
    }

    public func observeError(_ e: ServeError) {
        lock.withLock { errors["status=\"\(e.status)\",field=\"\(e.field ?? "")\"", default: 0] += 1 }
    }

    public func observeBatch(_ size: Int) {
        lock.withLock {
            batchCounts[size, default: 0] += 1
            batchImages += size
        }
    }

    public func text() -> String {
        lock.withLock {
            var s = "# HELP melanoma_requests_total HTTP requests by route and status.\n# TYPE melanoma_requests_total counter\n"
            for (k, v) in requests.sorted(by: { $0.key < $1.key }) { s += "melanoma_requests_total{\(k)} \(v)\n" }
            s += "# HELP melanoma_errors_total Requests answered with an error, by status and field.\n"
            s += "# TYPE melanoma_errors_total counter\n"
            for (k, v) in errors.sorted(by: { $0.key < $1.key }) { s += "melanoma_errors_total{\(k)} \(v)\n" }
            s += "# HELP melanoma_predict_latency_seconds Latency of /v1/predict.\n"
            s += "# TYPE melanoma_predict_latency_seconds histogram\n"
            for (i, b) in ServeMetrics.latencyBuckets.enumerated() {
                s += "melanoma_predict_latency_seconds_bucket{le=\"\(b)\"} \(latencyCounts[i])\n"
            }
            s += "melanoma_predict_latency_seconds_bucket{le=\"+Inf\"} \(latencyCount)\n"
            s += "melanoma_predict_latency_seconds_sum \(latencySum)\nmelanoma_predict_latency_seconds_count \(latencyCount)\n"
            s += "# HELP melanoma_batches_total Inference batches by size.\n# TYPE melanoma_batches_total counter\n"
            for (k, v) in batchCounts.sorted(by: { $0.key < $1.key }) { s += "melanoma_batches_total{size=\"\(k)\"} \(v)\n" }
            s += "# HELP melanoma_batched_images_total Images scored.\n# TYPE melanoma_batched_images_total counter\n"
            s += "melanoma_batched_images_total \(batchImages)\n"
            return s
        }
    }
}
