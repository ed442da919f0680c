import Foundation
import MelanomaKit
import TestSupport

/// Writes small datasets in the jpeg-melanoma-FxF layout for the data tests.
enum DataFixture {
    static let folder = 32
    static let header = "image_name,patient_id,sex,age_approx,anatom_site_general_challenge,diagnosis,benign_malignant,target,tfrecord,width,height"

    static let goodTrain = [
        "ISIC_0000001,IP_1,male,45.0,torso,nevus,benign,0,0,6000,4000",
        "ISIC_0000002,IP_1,male,45.0,head/neck,melanoma,malignant,1,0,6000,4000",
        "ISIC_0000003,IP_2,female,60.0,lower extremity,unknown,benign,0,3,6000,4000",
        "ISIC_0000004,IP_3,,,,seborrheic keratosis,benign,0,7,6000,4000",
    ]
    static let goodTest = [
        "ISIC_0100001,IP_9,female,50.0,torso,1024,768",
        "ISIC_0100002,IP_9,female,50.0,,1024,768",
    ]

    /// Writes train.csv / test.csv text as given and one small file per image named in them.
    static func make(train: String, test: String? = nil) throws -> URL {
        let root = try Reference.temporaryDirectory("melanoma-data")
        let dir = root.appendingPathComponent("jpeg-melanoma-\(folder)x\(folder)")
        for sub in ["train", "test"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try Data(train.utf8).write(to: dir.appendingPathComponent("train.csv"))
        let testText = test ?? "image_name,patient_id,sex,age_approx,anatom_site_general_challenge,width,height\n"
            + goodTest.joined(separator: "\n") + "\n"
        try Data(testText.utf8).write(to: dir.appendingPathComponent("test.csv"))
        for (text, sub) in [(train, "train"), (testText, "test")] {
            for line in text.split(separator: "\n").dropFirst() {
                guard let name = line.split(separator: ",").first, name.hasPrefix("ISIC_") else { continue }
                try Data(repeating: 7, count: 100 + name.count).write(
                    to: dir.appendingPathComponent("\(sub)/\(name).jpg"))
            }
        }
        return root
    }

    static func config(_ root: URL, useMeta: Bool = true) -> DatasetConfig {
        DatasetConfig(dataDir: root.path, dataFolder: folder, useMeta: useMeta)
    }

    static func trainCSV(_ root: URL) -> URL {
        root.appendingPathComponent("jpeg-melanoma-\(folder)x\(folder)/train.csv")
    }
}
