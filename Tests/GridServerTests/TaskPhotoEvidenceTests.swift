import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import HummingbirdTesting
import Testing

/// A task that asks for a photo: `完成 T4` without one is held and the photo asked for; the
/// person's photo in the same chat completes it, and only then do reviewers hear of it.
@Suite struct TaskPhotoEvidenceTests {
    @Test(arguments: TestBackend.allCases)
    func aCompletionWithoutThePhotoIsHeldUntilThePhotoComes(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            try await loop.say(client, "worker01", in: "staff-g01", "发布任务 清理3号楼楼道小广告 10分 2人 周五前 需拍照")
            var sent = try await loop.newMessages()
            #expect(sent.texts(in: "staff-g01").first?.contains("完成须附照片") == true, "\(sent.texts(in: "staff-g01"))")
            let announcement = try #require(sent.texts(in: "building-3").first)
            #expect(announcement.contains("【志愿任务 T4】清理3号楼楼道小广告\n"), "the photo words are not part of the title: \(announcement)")
            #expect(announcement.contains("本任务须有照片才能审核"))
            let task = try await loop.services.store.readingPoints { tx in try await tx.task(code: "T4", lock: false) }
            #expect(task?.task.photoRequired == true)

            try await loop.say(client, "resident.wangfang", in: "building-3", "报名 T4")
            #expect(try await loop.newMessages().texts(in: "building-3").first?.contains("并附照片（本任务须有照片）") == true)

            // Done, but no photo: held, and the photo asked for; no reviewer is asked yet.
            try await loop.say(client, "resident.wangfang", in: "building-3", "完成 T4 三个单元都清理了")
            sent = try await loop.newMessages()
            #expect(sent.texts(in: "building-3").first?.contains("任务 T4 须有照片为证：请直接在本群发一张完成后的照片") == true,
                    "\(sent.texts(in: "building-3"))")
            #expect(sent.texts(in: "staff-g01").isEmpty)
            var enrolment = try await loop.services.store.readingPoints { tx in try await tx.enrolment(task: "T4", person: "R1") }
            #expect(enrolment?.status == .signedUp)

            // A photo in another chat is not this completion's evidence, nor someone else's photo here.
            try await loop.say(client, "resident.wangfang", in: "building-12", "", attachments: ["photo-elsewhere"])
            try await loop.say(client, "resident.liqiang", in: "building-3", "", attachments: ["photo-other-person"])
            #expect(try await loop.newMessages().texts(in: "staff-g01").isEmpty)

            // The photo arrives as a message of its own, as chat apps send it.
            try await loop.say(client, "resident.wangfang", in: "building-3", "", attachments: ["photo-1"])
            sent = try await loop.newMessages()
            #expect(sent.texts(in: "building-3").first?.contains("等待网格员审核") == true, "\(sent.texts(in: "building-3"))")
            let request = try #require(sent.texts(in: "staff-g01").first)
            #expect(request.contains("三个单元都清理了") && request.contains("照片 1 张"), "the held words reach the reviewer with the photo: \(request)")
            enrolment = try await loop.services.store.readingPoints { tx in try await tx.enrolment(task: "T4", person: "R1") }
            #expect(enrolment?.status == .completed)
            #expect(enrolment?.photos == 1)

            // Once completed, further photos are just photos.
            try await loop.say(client, "resident.wangfang", in: "building-3", "", attachments: ["photo-2"])
            #expect(try await loop.newMessages().texts(in: "staff-g01").isEmpty)

            try await loop.say(client, "worker01", in: "staff-g01", "通过 T4")
            #expect(try await loop.newMessages().texts(in: "building-3").first?.contains("10") == true)
        }
    }

    @Test func aWithdrawalDropsTheHeldCompletion() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.say(client, "worker01", in: "staff-g01", "发布任务 清理3号楼楼道小广告 10分 2人 周五前 需拍照")
            try await loop.say(client, "resident.wangfang", in: "building-3", "报名 T4")
            try await loop.say(client, "resident.wangfang", in: "building-3", "完成 T4 清理了")
            try await loop.say(client, "resident.wangfang", in: "building-3", "取消报名 T4")
            try await loop.say(client, "resident.wangfang", in: "building-3", "报名 T4")
            _ = try await loop.newMessages()
            // Signed up afresh: a photo of the stairwell is just a photo until they say 完成 again.
            try await loop.say(client, "resident.wangfang", in: "building-3", "", attachments: ["photo-1"])
            #expect(try await loop.newMessages().texts(in: "staff-g01").isEmpty)
            #expect(try await loop.services.store.readingPoints { tx in try await tx.enrolment(task: "T4", person: "R1") }?.status == .signedUp)
        }
    }

    @Test func aTaskThatAsksForNoPhotoCompletesWithout() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.say(client, "worker01", in: "staff-g01", "发布任务 清理3号楼楼道小广告 10分 2人 周五前")
            let announcement = try #require(try await loop.newMessages().texts(in: "building-3").first)
            #expect(announcement.contains("可附照片") && !announcement.contains("须有照片"))
            try await loop.say(client, "resident.wangfang", in: "building-3", "报名 T4")
            try await loop.say(client, "resident.wangfang", in: "building-3", "完成 T4")
            let sent = try await loop.newMessages()
            #expect(sent.texts(in: "staff-g01").first?.contains("【待审核】") == true)
        }
    }
}
