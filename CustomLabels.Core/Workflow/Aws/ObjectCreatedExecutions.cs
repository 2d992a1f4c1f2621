using System.Text.Json.Nodes;
using CustomLabels.Core.Storage;

namespace CustomLabels.Core.Workflow.Aws;

/// <summary>
/// Starts the execution for an S3 "Object Created" event from EventBridge under the same name and with the same
/// input as the dashboard's HTTP API does for an image it stores (<see cref="ExecutionNames.ForObject"/>), so one
/// object starts one execution however many report it: Step Functions answers a second start of a name with the
/// first execution. (An EventBridge rule cannot name the executions it starts; the starter function does.)
/// </summary>
public static class ObjectCreatedExecutions
{
    /// <summary>The Lambda handler name of the starter function.</summary>
    public const string HandlerName = "StartExecution";

    /// <summary>The workflow input and execution name for an EventBridge S3 event.</summary>
    /// <exception cref="ArgumentException">The event is not an S3 Object Created event with a bucket, key and ETag.</exception>
    public static (string Input, string Name) For(JsonNode? eventBridgeEvent)
    {
        var detail = eventBridgeEvent?["detail"];
        var bucket = detail?["bucket"]?["name"]?.GetValue<string>();
        var key = detail?["object"]?["key"]?.GetValue<string>();
        var etag = detail?["object"]?["etag"]?.GetValue<string>();
        var size = detail?["object"]?["size"]?.GetValue<long>() ?? 0;
        if (eventBridgeEvent?["detail-type"]?.GetValue<string>() != WorkflowEvents.ObjectCreatedDetailType
            || bucket is null || key is null || etag is null)
        {
            throw new ArgumentException("The event is not an S3 Object Created event with a bucket name, an object key and an ETag.");
        }

        var info = new ObjectInfo(key, size, DateTimeOffset.UnixEpoch, etag.Trim('"'), new Dictionary<string, string>());
        return (WorkflowEvents.ObjectCreated(bucket, info).ToJsonString(), ExecutionNames.ForObject(info.Key, info.ETag));
    }

    /// <summary>Starts (or joins) the execution for an event.</summary>
    public static async Task<ExecutionSummary> StartAsync(IWorkflowService workflow, JsonNode? eventBridgeEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        var (input, name) = For(eventBridgeEvent);
        return await workflow.StartExecutionAsync(input, name, cancellationToken);
    }
}
