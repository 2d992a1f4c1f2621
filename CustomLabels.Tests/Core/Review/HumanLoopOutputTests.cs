using System.Text;
using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Core.Review;

namespace CustomLabels.Tests.Core.Review;

/// <summary>A2I's output format as the review branch reads it, with the region a reviewer drew.</summary>
public sealed class HumanLoopOutputTests
{
    private static ReviewAnswer Parse(string answerContent) => HumanLoopOutput.Parse(Encoding.UTF8.GetBytes($$"""
        {"humanLoopName":"review-1","inputContent":{"imageKey":"images_for_detection/a.jpg"},
         "humanAnswers":[{"answerContent":{{answerContent}},"workerId":"w-1"}]}
        """));

    [Fact]
    public void TheBoxLabelledWithTheAnswerIsTakenInFractionsOfTheImage()
    {
        var answer = Parse("""
            {"crowd-image-classifier":{"label":"dog"},
             "annotatedResult":{"boundingBoxes":[{"label":"cat","left":0,"top":0,"width":100,"height":100},
                                                 {"label":"Dog","left":200,"top":100,"width":400,"height":200}],
                                "inputImageProperties":{"width":800,"height":400}}}
            """);

        Assert.Equal("dog", answer.Label);
        Assert.Equal(new BoundingBox(0.25f, 0.25f, 0.5f, 0.5f), answer.BoundingBox);
    }

    [Fact]
    public void ABoxReachingOutOfTheImageIsCutToIt()
    {
        var answer = Parse("""
            {"crowd-image-classifier":{"label":"dog"},
             "annotatedResult":{"boundingBoxes":[{"label":"box","left":-80,"top":200,"width":480,"height":400}],
                                "inputImageProperties":{"width":800,"height":400}}}
            """);

        Assert.Equal("0,0.5,0.5,0.5", answer.BoundingBox?.ToMetadata());
    }

    [Theory]
    [InlineData("""{"crowd-image-classifier":{"label":"dog"}}""")]
    [InlineData("""{"crowd-image-classifier":{"label":"None of the above"},"annotatedResult":{"boundingBoxes":[{"label":"x","left":1,"top":1,"width":50,"height":50}],"inputImageProperties":{"width":100,"height":100}}}""")]
    [InlineData("""{"crowd-image-classifier":{"label":"dog"},"annotatedResult":{"boundingBoxes":[{"label":"dog","left":10,"top":10,"width":0,"height":50}],"inputImageProperties":{"width":100,"height":100}}}""")]
    [InlineData("""{"crowd-image-classifier":{"label":"dog"},"annotatedResult":{"boundingBoxes":[{"label":"dog","left":10,"top":10,"width":50,"height":50}]}}""")]
    [InlineData("""{"crowd-image-classifier":{"label":"dog"},"annotatedResult":{"boundingBoxes":[{"label":"dog","left":"10","top":10,"width":50,"height":50}],"inputImageProperties":{"width":100,"height":100}}}""")]
    public void AnAnswerWithoutAUsableBoxHasNone(string answerContent) => Assert.Null(Parse(answerContent).BoundingBox);

    [Fact]
    public void TheInputContentCarriesEachDetectedLabelsRegionInRekognitionsShape()
    {
        var input = new HumanLoopInput(
            "images_for_detection/a.jpg",
            [new CustomLabel("cat", 41.5f, new LabelGeometry(new BoundingBox(0.1f, 0.2f, 0.3f, 0.4f))), new CustomLabel("dog", 12)],
            HumanLoopReason.LowConfidence,
            "request-1",
            ["cat", "dog"]);

        var labels = HumanLoopOutput.InputContentOf(input)["detectedLabels"]!.AsArray();

        var box = labels[0]!["Geometry"]!["BoundingBox"]!;
        Assert.Equal((0.1f, 0.2f, 0.3f, 0.4f), ((float)box["Left"]!, (float)box["Top"]!, (float)box["Width"]!, (float)box["Height"]!));
        Assert.Null(labels[1]!["Geometry"]);
        Assert.Equal(input.Labels, [.. labels.Select(l => new CustomLabel((string)l!["Name"]!, (float)l["Confidence"]!, LabelGeometryJson.Read(l["Geometry"])))]);
    }

    [Fact]
    public void AnAnswerWithABoxNeedsTheImagesSize()
    {
        var loop = new HumanLoop
        {
            HumanLoopName = "review-1",
            HumanLoopArn = "arn",
            FlowDefinitionArn = "flow",
            Status = HumanLoopStatus.Completed,
            CreationTime = DateTimeOffset.UnixEpoch,
            Input = new HumanLoopInput("images_for_detection/a.jpg", [], HumanLoopReason.LowConfidence, null, ["cat"]),
        };
        var answer = HumanLoopAnswer.ForLabel("cat", new BoundingBox(0.5f, 0.5f, 0.5f, 0.5f));

        Assert.Throws<ArgumentException>(() => HumanLoopOutput.Create(loop, answer, "w", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch));
        var written = HumanLoopOutput.Create(loop, answer, "w", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, (640, 480));
        var result = written["humanAnswers"]![0]!["answerContent"]!["annotatedResult"]!;
        Assert.Equal(JsonNode.Parse("""{"label":"cat","left":320,"top":240,"width":320,"height":240}""")!.ToJsonString(), result["boundingBoxes"]![0]!.ToJsonString());
    }
}
