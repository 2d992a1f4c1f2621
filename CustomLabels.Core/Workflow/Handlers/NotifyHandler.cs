using CustomLabels.Core.Notifications;

namespace CustomLabels.Core.Workflow.Handlers;

/// <summary>Publishes a message that an earlier step composed. Running it again for the same step publishes nothing.</summary>
internal sealed class NotifyHandler(INotifier notifier, TimeProvider time) : TaskHandler<NotificationRequest, Done>
{
    public override string Name => "Notify";

    protected override async Task<Done> RunAsync(NotificationRequest input, TaskContext context, CancellationToken cancellationToken)
    {
        if (!Enum.TryParse<NotificationTopic>(input.Topic, ignoreCase: true, out var topic))
        {
            throw new WorkflowTaskException(WorkflowErrors.InvalidInput, $"'{input.Topic}' is not a notification topic.");
        }

        await notifier.PublishAsync(
            new Notification(topic, input.Subject, input.Message, time.GetUtcNow(), input.Severity, context.ExecutionId)
            {
                DeduplicationId = $"{context.ExecutionId}/{context.StateName}",
            },
            cancellationToken);
        return Done.Instance;
    }
}

/// <summary>
/// Tells the operator that a branch failed (a Catch leads here with the error at <c>$.error</c>). The execution then
/// ends in a Fail state with the same error.
/// </summary>
internal sealed class NotifyFailureHandler(INotifier notifier, TimeProvider time) : TaskHandler<NotifyFailureHandler.Input, Done>
{
    public override string Name => "NotifyFailure";

    protected override async Task<Done> RunAsync(Input input, TaskContext context, CancellationToken cancellationToken)
    {
        var branch = WorkflowEvents.BranchOf(System.Text.Json.JsonSerializer.SerializeToNode(input.Event, Json));
        var error = input.Error?.Error ?? "States.TaskFailed";
        var consequence = branch == WorkflowEvents.Branches.Training
            ? "\nThe running version, if any, goes on serving."
            : string.Empty;

        // A consumer's bad image is the consumer's to fix; anything else needs the operator.
        var severity = error is WorkflowErrors.InvalidImage or WorkflowErrors.ImageTooLarge or WorkflowErrors.InvalidInput ? "warning" : "error";
        await notifier.PublishAsync(
            new Notification(
                NotificationTopic.Operator,
                $"The {branch} run failed: {error}",
                (input.Error?.Cause ?? "No cause was given.") + consequence,
                time.GetUtcNow(),
                severity,
                context.ExecutionId)
            {
                DeduplicationId = $"{context.ExecutionId}/{context.StateName}",
            },
            cancellationToken);
        return Done.Instance;
    }

    public sealed record Input(ErrorInfo? Error)
    {
        [System.Text.Json.Serialization.JsonExtensionData]
        public Dictionary<string, System.Text.Json.JsonElement>? Event { get; init; }
    }

    /// <summary>What a Catch puts at its ResultPath.</summary>
    public sealed record ErrorInfo(
        [property: System.Text.Json.Serialization.JsonPropertyName("Error")] string? Error,
        [property: System.Text.Json.Serialization.JsonPropertyName("Cause")] string? Cause);
}
