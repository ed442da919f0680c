import Foundation
import Hummingbird
import HummingbirdTesting
import Imaging
import MelanomaKit
import NIOCore
import Serve
import Testing
import TestSupport

/// One synthetic dataset, one untrained EfficientNet-B0 fold with metadata and its description, and what
/// `predict` writes for its test set (2 TTA variants): built once for the suite.
final class ServeFixture: @unchecked Sendable {
    static let shared = Result { try ServeFixture() }

    let dir: URL
    let options: RunOptions
    let dataset: Dataset
    /// predict's probabilities by image name.
    let predicted: [String: Double]
    let predictor: ImagePredictor

    init() throws {
        dir = try Reference.temporaryDirectory("serve")
        _ = try Synth.generate(SynthConfig(outDir: dir.appendingPathComponent("data").path, size: 64, train: 40, test: 5, seed: 4))
        var o = RunOptions(kernelType: "serve_b0", dataFolder: 64, imageSize: 64, enetType: "efficientnet_b0")
        o.dataDir = dir.appendingPathComponent("data").path
        o.modelDir = dir.appendingPathComponent("weights").path
        o.useMeta = true
        o.nMetaDim = [16, 8]
        o.folds = [0]
        o.nTest = 2
        o.batchSize = 4
        o.numWorkers = 0
        options = o
        dataset = try o.loadDataset()
        try FileManager.default.createDirectory(atPath: o.modelDir, withIntermediateDirectories: true)
        let model = try o.makeModel(nMetaFeatures: dataset.nMetaFeatures, seed: 21)
        try model.save(to: URL(fileURLWithPath: o.modelDir).appendingPathComponent(o.names.best(fold: 0)))
        var d = ModelDescription(options: o, dataset: dataset)
        d.oofScores = .init(eval: "best", scores: (0 ..< 50).map { Double($0) / 49 })
        try ModelDescription.record(d, modelDir: o.modelDir)
        let sub = try PredictRun.run(o, eval: .best, subDir: dir.appendingPathComponent("subs").path, console: { _ in })
        var p: [String: Double] = [:]
        for r in try CSVTable.read(path: sub.path).rows { p[r[0]] = Double(r[1])! }
        predicted = p
        predictor = try ImagePredictor(models: [try LoadedModel(modelDir: o.modelDir, kernelType: o.kernelType, eval: .best)],
                                       nTest: 2)
    }

    static func get() throws -> ServeFixture { try shared.get() }

    func service(_ edit: (inout ServeConfig) -> Void = { _ in }) -> PredictionService {
        var c = ServeConfig()
        c.port = 0
        c.maxUploadBytes = 256 * 1024
        c.maxPixels = 1_000_000
        edit(&c)
        return PredictionService(predictor: predictor, config: c)
    }

    /// A test image's bytes and its test.csv metadata as form fields (n_images counted as predict counts).
    func testImage(_ i: Int) throws -> (name: String, data: Data, fields: [(String, String)]) {
        let s = dataset.test[i]
        let info = try PatientInfo.table(csv: options.datasetConfig.testCSV)[s.imageName]!
        var fields: [(String, String)] = []
        if let a = info.age { fields.append(("age", "\(a)")) }
        if let x = info.sex { fields.append(("sex", x)) }
        if let x = info.site { fields.append(("site", x)) }
        if let n = info.nImages { fields.append(("n_images", "\(n)")) }
        return (s.imageName, try Data(contentsOf: URL(fileURLWithPath: s.filepath)), fields)
    }
}

/// A multipart/form-data body.
struct Form {
    static let boundary = "----MelanomaTestBoundary7MA4YWxk"
    var parts: [String] = []
    var raw = Data()

    mutating func field(_ name: String, _ value: String) {
        raw += Data("--\(Form.boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    mutating func file(_ name: String, filename: String, type: String, _ data: Data) {
        raw += Data("--\(Form.boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n".utf8)
        raw += data
        raw += Data("\r\n".utf8)
    }

    var body: ByteBuffer { ByteBuffer(bytes: raw + Data("--\(Form.boundary)--\r\n".utf8)) }
    static var headers: HTTPFields { [.contentType: "multipart/form-data; boundary=\(boundary)"] }

    static func predict(_ name: String, _ data: Data, fields: [(String, String)] = [], type: String = "image/jpeg") -> Form {
        var f = Form()
        f.file("image", filename: name + ".jpg", type: type, data)
        for (k, v) in fields { f.field(k, v) }
        return f
    }
}

func json(_ r: TestResponse) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(r.body.readableBytesView)) as? [String: Any])
}

@Suite(.serialized) struct RouterTests {
    @Test func pageHealthModelsAndMetrics() async throws {
        let f = try ServeFixture.get()
        let service = f.service()
        defer { service.worker.stop() }
        try await Application(router: service.router()).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.status == .ok)
                let html = String(buffer: r.body)
                #expect(html.contains("research tool, not a diagnosis"))
                #expect(!html.contains("<script src") && !html.contains("<link") && !html.contains("http://")
                    && !html.contains("https://"))
            }
            try await client.execute(uri: "/healthz", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/v1/models", method: .get) { r in
                #expect(r.status == .ok)
                let models = try #require(try json(r)["models"] as? [[String: Any]])
                #expect(models.first?["kernelType"] as? String == "serve_b0")
                #expect((models.first?["sites"] as? [String])?.contains("torso") == true)
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains("melanoma_requests_total{route=\"/v1/models\",status=\"200\"} 1"))
                #expect(text.contains("# TYPE melanoma_predict_latency_seconds histogram"))
            }
        }
    }

    /// /v1/predict answers what `melanoma predict` wrote for the same image, fold and TTA (<= 1e-5), and
    /// returns the Grad-CAM overlay as a PNG.
    @Test func predictEqualsPredictRun() async throws {
        let f = try ServeFixture.get()
        let service = f.service()
        defer { service.worker.stop() }
        try await Application(router: service.router()).test(.router) { client in
            for i in 0 ..< f.dataset.test.count {
                let t = try f.testImage(i)
                var form = Form.predict(t.name, t.data, fields: t.fields)
                if i == 0 { form.field("gradcam", "1") }
                try await client.execute(uri: "/v1/predict", method: .post, headers: Form.headers, body: form.body) { r in
                    #expect(r.status == .ok, "\(String(buffer: r.body))")
                    let j = try json(r)
                    let p = try #require(j["probability"] as? Double)
                    let want = try #require(f.predicted[t.name])
                    #expect(abs(p - want) <= 1e-5, "\(t.name): \(p) vs predict's \(want)")
                    #expect(j["percentile"] as? Double != nil)
                    if i == 0 {
                        let cam = try #require(j["gradcam"] as? String)
                        #expect(cam.hasPrefix("data:image/png;base64,"))
                        let png = try #require(Data(base64Encoded: String(cam.dropFirst(22))))
                        let img = try Image(data: png)
                        #expect(img.width == 512 && img.height == 256)
                    } else {
                        #expect(j["gradcam"] == nil)
                    }
                }
            }
        }
    }

    @Test func concurrentRequestsShareBatches() async throws {
        let f = try ServeFixture.get()
        let service = f.service { $0.maxBatch = 8; $0.batchWindow = 0.2 }
        defer { service.worker.stop() }
        let t = try f.testImage(1)
        let want = try #require(f.predicted[t.name])
        try await Application(router: service.router()).test(.router) { client in
            let sizes = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0 ..< 6 {
                    group.addTask {
                        try await client.execute(uri: "/v1/predict", method: .post, headers: Form.headers,
                                                 body: Form.predict(t.name, t.data, fields: t.fields).body) { r in
                            #expect(r.status == .ok)
                            let j = try json(r)
                            #expect(abs((j["probability"] as? Double ?? -1) - want) <= 1e-5)
                            return j["batchSize"] as? Int ?? 0
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(sizes.count == 6)
            #expect(sizes.max()! > 1, "batch sizes \(sizes)")
        }
        #expect(service.metrics.text().contains("melanoma_batched_images_total 6"))
    }

    @Test func bearerToken() async throws {
        let f = try ServeFixture.get()
        let service = f.service { $0.token = "s3cret" }
        defer { service.worker.stop() }
        let t = try f.testImage(0)
        try await Application(router: service.router()).test(.router) { client in
            try await client.execute(uri: "/v1/predict", method: .post, headers: Form.headers,
                                     body: Form.predict(t.name, t.data).body) { r in
                #expect(r.status == .unauthorized)
                let j = try json(r)
                #expect((j["error"] as? [String: String])?["field"] == "authorization")
            }
            var h = Form.headers
            h[.authorization] = "Bearer s3cret"
            try await client.execute(uri: "/v1/predict", method: .post, headers: h, body: Form.predict(t.name, t.data).body) { r in
                #expect(r.status == .ok)
                // No metadata given: the answer says how it was filled.
                let j = try json(r)
                #expect((j["metadataNotes"] as? [String])?.count == 4)
            }
        }
    }

    /// A request that waits longer than the timeout for the model gets a 503 JSON error; the worker goes on.
    @Test func timeout() async throws {
        let f = try ServeFixture.get()
        let service = f.service { $0.requestTimeout = .milliseconds(1) }
        defer { service.worker.stop() }
        let t = try f.testImage(0)
        var form = Form.predict(t.name, t.data)
        form.field("gradcam", "1")
        let body = form.body
        try await Application(router: service.router()).test(.router) { client in
            try await client.execute(uri: "/v1/predict", method: .post, headers: Form.headers, body: body) { r in
                #expect(r.status == .serviceUnavailable)
                let j = try json(r)
                #expect(((j["error"] as? [String: String])?["message"] ?? "").contains("timed out"))
            }
            try await client.execute(uri: "/healthz", method: .get) { r in #expect(r.status == .ok) }
        }
    }
}
