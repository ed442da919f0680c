import Foundation

/// Scores a submission against the labels file the synthetic dataset writes (image_name,target,...).
public enum DemoScore {
    public static func testAUC(submission: URL, labels: URL) throws -> Double {
        let sub = try Submission.read(submission)
        let truth = try Submission.read(labels)
        let label = Dictionary(uniqueKeysWithValues: zip(truth.imageNames, truth.targets))
        var y: [Bool] = [], score: [Double] = []
        for (name, p) in zip(sub.imageNames, sub.targets) {
            guard let t = label[name] else {
                throw RunError("\(submission.path): \(name) is not in \(labels.path)")
            }
            y.append(t >= 0.5)
            score.append(p)
        }
        return try Metrics.rocAUC(labels: y, scores: score, what: "test AUC")
    }
}
