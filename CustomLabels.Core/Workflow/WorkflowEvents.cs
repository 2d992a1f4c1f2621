using System.Text.Json.Nodes;
using CustomLabels.Core.Storage;

namespace CustomLabels.Core.Workflow;

/// <summary>
/// The events that start executions, in the shapes Amazon EventBridge delivers them, so that the one definition
/// routes them the same way embedded and in AWS. The state machine chooses its branch on <c>detail-type</c>
/// (and, for objects, on the key's prefix).
/// </summary>
public static class WorkflowEvents
{
    /// <summary>Branch names, as executions are listed and filtered.</summary>
    public static class Branches
    {
        /// <summary>A parameter changed.</summary>
        public const string Parameter = "parameter";

        /// <summary>The training check (scheduled or asked for).</summary>
        public const string Training = "training";

        /// <summary>A detection of a new image.</summary>
        public const string Detection = "detection";

        /// <summary>A human loop's answer.</summary>
        public const string Review = "review";

        /// <summary>The sampling check.</summary>
        public const string Sampling = "sampling";

        /// <summary>An input no branch takes.</summary>
        public const string Unknown = "unknown";

        /// <summary>Every branch that an event can start.</summary>
        public static IReadOnlyList<string> All { get; } = [Parameter, Training, Detection, Review, Sampling];
    }

    /// <summary>EventBridge's detail type for SSM parameter changes.</summary>
    public const string ParameterChangeDetailType = "Parameter Store Change";

    /// <summary>EventBridge's detail type for schedules.</summary>
    public const string ScheduledDetailType = "Scheduled Event";

    /// <summary>EventBridge's detail type for new S3 objects.</summary>
    public const string ObjectCreatedDetailType = "Object Created";

    /// <summary>A parameter changed (as SSM reports it to EventBridge).</summary>
    public static JsonObject ParameterChanged(string parameterName, string operation = "Update") => new()
    {
        ["source"] = "aws.ssm",
        ["detail-type"] = ParameterChangeDetailType,
        ["detail"] = new JsonObject { ["name"] = parameterName, ["operation"] = operation, ["type"] = "String" },
    };

    /// <summary>A schedule fired, or an operator asked for the check now (<paramref name="force"/> skips the image minimum).</summary>
    public static JsonObject Scheduled(string schedule, bool force = false) => new()
    {
        ["source"] = "aws.events",
        ["detail-type"] = ScheduledDetailType,
        ["detail"] = new JsonObject { ["schedule"] = schedule, ["force"] = force },
    };

    /// <summary>An object was created in the bucket (as S3 reports it to EventBridge).</summary>
    public static JsonObject ObjectCreated(string bucket, ObjectInfo info) => new()
    {
        ["source"] = "aws.s3",
        ["detail-type"] = ObjectCreatedDetailType,
        ["detail"] = new JsonObject
        {
            ["bucket"] = new JsonObject { ["name"] = bucket },
            ["object"] = new JsonObject { ["key"] = info.Key, ["size"] = info.Size, ["etag"] = info.ETag },
        },
    };

    /// <summary>Which branch an input takes.</summary>
    public static string BranchOf(JsonNode? input)
    {
        var detailType = input?["detail-type"]?.GetValue<string>();
        return detailType switch
        {
            ParameterChangeDetailType => Branches.Parameter,
            ScheduledDetailType => input?["detail"]?["schedule"]?.GetValue<string>() switch
            {
                Branches.Training => Branches.Training,
                Branches.Sampling => Branches.Sampling,
                _ => Branches.Unknown,
            },
            ObjectCreatedDetailType => input?["detail"]?["object"]?["key"]?.GetValue<string>() switch
            {
                { } key when key.StartsWith(BucketLayout.DetectionImages, StringComparison.Ordinal) => Branches.Detection,
                { } key when key.StartsWith(BucketLayout.HumanLoopOutput, StringComparison.Ordinal) => Branches.Review,
                _ => Branches.Unknown,
            },
            _ => Branches.Unknown,
        };
    }
}
