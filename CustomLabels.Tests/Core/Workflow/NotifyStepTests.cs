using System.Text.Json.Nodes;
using CustomLabels.Core.Notifications;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Handlers;

namespace CustomLabels.Tests.Core.Workflow;

public sealed class NotifyStepTests : IDisposable
{
    private readonly PipelineParts _parts = new();

    public void Dispose() => _parts.Dispose();

    [Fact]
    public async Task ANotifyStepRunAgainAfterACrashPublishesOnce()
    {
        var handler = new NotifyHandler(_parts.Notifier, TimeProvider.System);
        var input = new JsonObject { ["topic"] = "Operator", ["subject"] = "v2 is serving", ["message"] = "Version v2 now serves.", ["severity"] = "success" };

        await handler.InvokeAsync(input, new TaskContext("exec-1", "NotifyDeployed", 1), CancellationToken.None);
        await handler.InvokeAsync(input, new TaskContext("exec-1", "NotifyDeployed", 1), CancellationToken.None);
        await handler.InvokeAsync(input, new TaskContext("exec-2", "NotifyDeployed", 1), CancellationToken.None);

        var feed = await _parts.Notifier.QueryAsync(new NotificationQuery());
        Assert.Equal(2, feed.Items.Count);
        Assert.All(feed.Items, n => Assert.Equal(("v2 is serving", "success", NotificationTopic.Operator), (n.Subject, n.Severity, n.Topic)));
        Assert.Equal(["exec-2", "exec-1"], feed.Items.Select(n => n.ExecutionId));
    }

    [Fact]
    public async Task AnUnknownTopicIsInvalidInputAndPublishesNothing()
    {
        var handler = new NotifyHandler(_parts.Notifier, TimeProvider.System);
        var error = await Assert.ThrowsAsync<WorkflowTaskException>(() => handler.InvokeAsync(
            new JsonObject { ["topic"] = "Everyone", ["subject"] = "s", ["message"] = "m" }, new TaskContext("exec-1", "Notify", 1), CancellationToken.None));

        Assert.Equal(WorkflowErrors.InvalidInput, error.Error);
        Assert.Empty((await _parts.Notifier.QueryAsync(new NotificationQuery())).Items);
    }

    [Fact]
    public async Task AFailureIsReportedToTheOperatorWithItsBranchErrorAndCause()
    {
        var input = WorkflowEvents.Scheduled("training");
        input["error"] = new JsonObject { ["Error"] = WorkflowErrors.VersionFailed, ["Cause"] = "Training needs at least 2 labels." };

        await new NotifyFailureHandler(_parts.Notifier, TimeProvider.System).InvokeAsync(input, new TaskContext("exec-9", "ReportFailure", 1), CancellationToken.None);

        var message = Assert.Single((await _parts.Notifier.QueryAsync(new NotificationQuery(NotificationTopic.Operator))).Items);
        Assert.Equal("error", message.Severity);
        Assert.Equal($"The training run failed: {WorkflowErrors.VersionFailed}", message.Subject);
        Assert.Contains("Training needs at least 2 labels.", message.Message, StringComparison.Ordinal);
        Assert.Contains("goes on serving", message.Message, StringComparison.Ordinal);
        Assert.Equal("exec-9", message.ExecutionId);
    }

    [Fact]
    public async Task AConsumersBadImageIsAWarningNotAnError()
    {
        var input = WorkflowEvents.ObjectCreated("customlabels", new CustomLabels.Core.Storage.ObjectInfo("images_for_detection/x.txt", 3, DateTimeOffset.UtcNow, "e", new Dictionary<string, string>()));
        input["error"] = new JsonObject { ["Error"] = WorkflowErrors.InvalidImage, ["Cause"] = "Not an image." };

        await new NotifyFailureHandler(_parts.Notifier, TimeProvider.System).InvokeAsync(input, new TaskContext("exec-7", "ReportFailure", 1), CancellationToken.None);

        var message = Assert.Single((await _parts.Notifier.QueryAsync(new NotificationQuery())).Items);
        Assert.Equal(("warning", $"The detection run failed: {WorkflowErrors.InvalidImage}"), (message.Severity, message.Subject));
        Assert.DoesNotContain("serving", message.Message, StringComparison.Ordinal);
        Assert.Equal("exec-7", message.ExecutionId);
    }
}
