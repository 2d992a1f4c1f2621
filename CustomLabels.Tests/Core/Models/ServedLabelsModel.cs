using System.Collections.Concurrent;
using CustomLabels.Core.Models;
using CustomLabels.Core.Models.Embedded;
using CustomLabels.Core.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Core.Models;

/// <summary>
/// A decorator of the real model port that also serves one version of the test's own, RUNNING from the start, whose
/// detections are the test's labels, each with its region as the embedded model gives them. So what the workflow, the
/// detection log, the review, the API and the pages do with a detection's labels can be seen without training a model.
/// Every other version and every other call goes to the real model (none in tests of the steps alone).
/// </summary>
public sealed class ServedLabelsModel(ICustomLabelsModel? inner, IReadOnlyList<CustomLabel> labels) : ICustomLabelsModel
{
    /// <summary>The version this decorator serves.</summary>
    public const string VersionName = "served-labels.2026-01-01";

    private readonly ConcurrentQueue<DetectCustomLabelsRequest> _requests = new();

    /// <summary>The detections asked of the served version.</summary>
    public IReadOnlyCollection<DetectCustomLabelsRequest> Requests => _requests;

    /// <summary>The served labels as the model returns them, best first.</summary>
    public IReadOnlyList<CustomLabel> Labels { get; } = [.. labels.OrderByDescending(l => l.Confidence)];

    /// <summary>Puts the decorator in front of the embedded model of a host's services.</summary>
    public static void Register(IServiceCollection services, IReadOnlyList<CustomLabel> labels) =>
        services.AddSingleton<ICustomLabelsModel>(sp => new ServedLabelsModel(sp.GetRequiredService<EmbeddedCustomLabelsModel>(), labels));

    /// <summary>Points detection at the served version, as a deployment would.</summary>
    public static Task DeployAsync(SystemStateStore state) =>
        state.UpdateAsync(s => s with { RunningVersion = VersionName });

    private ProjectVersion Served { get; } = new()
    {
        VersionName = VersionName,
        ProjectVersionArn = $"arn:aws:rekognition:local:000000000000:project/customlabels/version/{VersionName}/1",
        Status = ProjectVersionStatus.Running,
        CreationTimestamp = DateTimeOffset.UnixEpoch,
    };

    public bool LearnsFromRejectedImages => Inner.LearnsFromRejectedImages;

    private ICustomLabelsModel Inner => inner ?? throw new NotSupportedException("This test serves detections only.");

    public Task<ProjectVersion> CreateProjectVersionAsync(CreateProjectVersionRequest request, CancellationToken cancellationToken = default) =>
        Inner.CreateProjectVersionAsync(request, cancellationToken);

    public async Task<IReadOnlyList<ProjectVersion>> DescribeProjectVersionsAsync(
        IReadOnlyCollection<string>? versionNames = null,
        CancellationToken cancellationToken = default)
    {
        var others = inner is null ? [] : await inner.DescribeProjectVersionsAsync(versionNames?.Where(n => n != VersionName).ToList(), cancellationToken);
        return versionNames is null || versionNames.Contains(VersionName) ? [Served, .. others] : others;
    }

    public Task<ProjectVersion> StartProjectVersionAsync(string versionName, int minInferenceUnits, CancellationToken cancellationToken = default) =>
        versionName == VersionName ? Task.FromResult(Served) : Inner.StartProjectVersionAsync(versionName, minInferenceUnits, cancellationToken);

    public Task<ProjectVersion> StopProjectVersionAsync(string versionName, CancellationToken cancellationToken = default) =>
        versionName == VersionName ? Task.FromResult(Served) : Inner.StopProjectVersionAsync(versionName, cancellationToken);

    public Task<DetectCustomLabelsResult> DetectCustomLabelsAsync(DetectCustomLabelsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.VersionName != VersionName)
        {
            return Inner.DetectCustomLabelsAsync(request, cancellationToken);
        }

        ImageInspector.Inspect(request.Image.Span);
        _requests.Enqueue(request);
        var answered = Labels.Where(l => l.Confidence >= (request.MinConfidence ?? 0)).Take(request.MaxResults ?? int.MaxValue).ToList();
        return Task.FromResult(new DetectCustomLabelsResult(answered));
    }
}
