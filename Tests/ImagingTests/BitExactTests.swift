// Our reimplementations of OpenCV computations must give its bits: each test runs a hook in the CImage shim
// (compiled -O2 even in debug builds) that compares them with the linked OpenCV over the inputs that matter.
import CImage
import Testing

/// CLAHE's LAB conversions are ours (Sources/CImage/lab.h), not cv::cvtColor: they must give OpenCV 4.6's bytes
/// for every input, which ci_lab_check verifies exhaustively (2^24 RGB triples forward, 2^24 Lab triples back,
/// with L in the pixel and from a separate plane, vector and per-pixel paths) plus ci_clahe end to end against
/// albumentations' call sequence done with OpenCV.
@Test func labConversionsAreBitExactWithOpenCV() {
    expectNoFailures(ci_lab_check)
}

/// GaussNoise and ElasticTransform draw their fields from ci_rng_fill, our faster cv::RNG::fill: every number must
/// be OpenCV's (ci_rng_check: 51 seeds with the generator's edge states, lengths around its block size, both
/// distributions).
@Test func noiseFieldsAreOpenCVsNumbers() {
    expectNoFailures(ci_rng_check)
}

/// Runs one of the shim's checks (it writes a report and returns its count of failures) and prints the report.
private func expectNoFailures(_ check: (UnsafeMutablePointer<CChar>?, Int) -> Int32,
                              sourceLocation: SourceLocation = #_sourceLocation) {
    var report = [CChar](repeating: 0, count: 8192)
    let failures = check(&report, report.count)
    let text = String(decoding: report.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    print(text)
    #expect(failures == 0, "\(text)", sourceLocation: sourceLocation)
}
