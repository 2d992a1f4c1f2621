using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CustomLabels.Core.Aws;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Models.Aws;

/// <summary>
/// The model in AWS: Amazon Rekognition Custom Labels, one project (<see cref="AwsOptions.ProjectArn"/>), its
/// versions trained from manifests in the pipeline's bucket. Training output goes under <c>evaluation/&lt;version&gt;/</c>.
/// </summary>
public sealed class RekognitionCustomLabelsModel : ICustomLabelsModel
{
    /// <summary>DescribeProjectVersions takes at most this many version names per call.</summary>
    private const int MaxNamesPerCall = 10;

    private readonly AwsJsonClient _client;
    private readonly string _projectArn;
    private readonly string _bucket;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, string> _arnByName = new(StringComparer.Ordinal);

    /// <summary>Creates the adapter over a Rekognition client.</summary>
    public RekognitionCustomLabelsModel(AwsJsonClient client, IOptions<AwsOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _projectArn = options.Value.ProjectArn;
        _bucket = options.Value.BucketName;
        _time = time;
    }

    /// <inheritdoc />
    public async Task<ProjectVersion> CreateProjectVersionAsync(CreateProjectVersionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = new JsonObject
        {
            ["ProjectArn"] = _projectArn,
            ["VersionName"] = request.VersionName,
            ["OutputConfig"] = new JsonObject { ["S3Bucket"] = _bucket, ["S3KeyPrefix"] = $"{Storage.BucketLayout.Evaluation}{request.VersionName}/" },
            ["TrainingData"] = new JsonObject { ["Assets"] = new JsonArray(Manifest(request.TrainingManifestKey)) },
            ["TestingData"] = request.TestManifestKey is null
                ? new JsonObject { ["AutoCreate"] = true }
                : new JsonObject { ["Assets"] = new JsonArray(Manifest(request.TestManifestKey)) },
        };
        var answer = await CallForVersionAsync(request.VersionName, "CreateProjectVersion", body, cancellationToken);
        var arn = AwsJson.Text(answer["ProjectVersionArn"])
                  ?? throw new InvalidOperationException("Rekognition created a project version but did not return its ARN.");
        _arnByName[request.VersionName] = arn;
        return new ProjectVersion
        {
            VersionName = request.VersionName,
            ProjectVersionArn = arn,
            Status = ProjectVersionStatus.TrainingInProgress,
            CreationTimestamp = _time.GetUtcNow(),
            TrainingManifestKey = request.TrainingManifestKey,
            TestManifestKey = request.TestManifestKey,
        };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ProjectVersion>> DescribeProjectVersionsAsync(
        IReadOnlyCollection<string>? versionNames = null,
        CancellationToken cancellationToken = default)
    {
        var versions = new List<ProjectVersion>();
        var batches = versionNames is null ? [null] : versionNames.Chunk(MaxNamesPerCall).Select(c => (string[]?)c).ToList();
        if (versionNames is { Count: 0 })
        {
            return versions;
        }

        foreach (var batch in batches)
        {
            var request = new JsonObject { ["ProjectArn"] = _projectArn, ["MaxResults"] = 100 };
            if (batch is not null)
            {
                request["VersionNames"] = new JsonArray([.. batch.Select(n => (JsonNode)n)]);
            }

            await foreach (var page in _client.PaginateAsync("DescribeProjectVersions", request, "NextToken", cancellationToken))
            {
                foreach (var description in page["ProjectVersionDescriptions"]?.AsArray() ?? [])
                {
                    if (description is JsonObject item)
                    {
                        var version = Read(item);
                        _arnByName[version.VersionName] = version.ProjectVersionArn;
                        versions.Add(version);
                    }
                }
            }
        }

        return [.. versions.OrderByDescending(v => v.CreationTimestamp)];
    }

    /// <inheritdoc />
    public async Task<ProjectVersion> StartProjectVersionAsync(string versionName, int minInferenceUnits, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minInferenceUnits, 1);
        var arn = await ArnOfAsync(versionName, cancellationToken);
        var answer = await CallForVersionAsync(
            versionName,
            "StartProjectVersion",
            new JsonObject { ["ProjectVersionArn"] = arn, ["MinInferenceUnits"] = minInferenceUnits },
            cancellationToken);
        return await WithStatusAsync(versionName, answer, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ProjectVersion> StopProjectVersionAsync(string versionName, CancellationToken cancellationToken = default)
    {
        var arn = await ArnOfAsync(versionName, cancellationToken);
        var answer = await CallForVersionAsync(versionName, "StopProjectVersion", new JsonObject { ["ProjectVersionArn"] = arn }, cancellationToken);
        return await WithStatusAsync(versionName, answer, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<DetectCustomLabelsResult> DetectCustomLabelsAsync(DetectCustomLabelsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var arn = await ArnOfAsync(request.VersionName, cancellationToken);
        var body = new JsonObject
        {
            ["ProjectVersionArn"] = arn,
            ["Image"] = request.ImageKey is { } key
                ? new JsonObject { ["S3Object"] = new JsonObject { ["Bucket"] = _bucket, ["Name"] = key } }
                : new JsonObject { ["Bytes"] = Convert.ToBase64String(request.Image.Span) },

            // Without MinConfidence Rekognition leaves out every label below its own assumed threshold, which cuts
            // the reviewer's list short for exactly the doubtful images; the port's null means 0.
            ["MinConfidence"] = request.MinConfidence ?? 0,
        };

        if (request.MaxResults is { } maxResults)
        {
            body["MaxResults"] = maxResults;
        }

        var answer = await _client.CallAsync("DetectCustomLabels", body, cancellationToken);
        var labels = (answer["CustomLabels"]?.AsArray() ?? [])
            .OfType<JsonObject>()
            .Select(l => new CustomLabel(AwsJson.Text(l["Name"]) ?? string.Empty, l["Confidence"]?.GetValue<float>() ?? 0, LabelGeometryJson.Read(l["Geometry"])))
            .OrderByDescending(l => l.Confidence)
            .ToList();
        return new DetectCustomLabelsResult(labels);
    }

    /// <summary>The version name in a project version ARN (<c>…:project/&lt;p&gt;/version/&lt;name&gt;/&lt;ts&gt;</c>).</summary>
    public static string VersionNameOf(string projectVersionArn)
    {
        ArgumentNullException.ThrowIfNull(projectVersionArn);
        const string marker = "/version/";
        var start = projectVersionArn.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return projectVersionArn;
        }

        var rest = projectVersionArn[(start + marker.Length)..];
        var end = rest.LastIndexOf('/');
        return end > 0 ? rest[..end] : rest;
    }

    private static ProjectVersion Read(JsonObject item)
    {
        var arn = AwsJson.Text(item["ProjectVersionArn"]) ?? string.Empty;
        var status = AwsJson.Text(item["Status"]) ?? "TRAINING_IN_PROGRESS";
        return new ProjectVersion
        {
            VersionName = VersionNameOf(arn),
            ProjectVersionArn = arn,
            Status = ParseStatus(status),
            StatusText = ParseStatus(status) == ProjectVersionStatus.Other ? status : null,
            StatusMessage = AwsJson.Text(item["StatusMessage"]),
            CreationTimestamp = AwsJson.Timestamp(item["CreationTimestamp"]) ?? DateTimeOffset.UnixEpoch,
            TrainingEndTimestamp = AwsJson.Timestamp(item["TrainingEndTimestamp"]),
            MinInferenceUnits = item["MinInferenceUnits"]?.GetValue<int>(),
            TrainingManifestKey = AwsJson.Text(item["TrainingDataResult"]?["Input"]?["Assets"]?[0]?["GroundTruthManifest"]?["S3Object"]?["Name"]),
            TestManifestKey = item["TestingDataResult"]?["Input"]?["AutoCreate"]?.GetValue<bool>() == true
                ? null
                : AwsJson.Text(item["TestingDataResult"]?["Input"]?["Assets"]?[0]?["GroundTruthManifest"]?["S3Object"]?["Name"]),
            F1Score = item["EvaluationResult"]?["F1Score"]?.GetValue<double>(),
            EvaluationSummaryKey = AwsJson.Text(item["EvaluationResult"]?["Summary"]?["S3Object"]?["Name"]),
        };
    }

    private static ProjectVersionStatus ParseStatus(string status) => AwsJson.Enum(status, ProjectVersionStatus.Other);

    private JsonObject Manifest(string key) => new()
    {
        ["GroundTruthManifest"] = new JsonObject { ["S3Object"] = new JsonObject { ["Bucket"] = _bucket, ["Name"] = key } },
    };

    /// <summary>A call about one version, whose not-found and conflict errors are the ones the embedded model throws.</summary>
    private async Task<JsonObject> CallForVersionAsync(string versionName, string operation, JsonObject body, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.CallAsync(operation, body, cancellationToken);
        }
        catch (AwsResourceNotFoundException e)
        {
            throw new ProjectVersionNotFoundException($"There is no model version named '{versionName}': {e.Message}", e);
        }
        catch (AwsConflictException e)
        {
            throw new ProjectVersionConflictException($"The model version '{versionName}' refuses {operation}: {e.Message}", e);
        }
    }

    private async Task<ProjectVersion> WithStatusAsync(string versionName, JsonObject answer, CancellationToken cancellationToken)
    {
        var described = await DescribeProjectVersionsAsync([versionName], cancellationToken);
        var version = described.Count > 0
            ? described[0]
            : throw new ProjectVersionNotFoundException($"There is no model version named '{versionName}'.");
        return AwsJson.Text(answer["Status"]) is { } status
            ? version with { Status = ParseStatus(status), StatusText = ParseStatus(status) == ProjectVersionStatus.Other ? status : null }
            : version;
    }

    private async Task<string> ArnOfAsync(string versionName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(versionName);
        if (_arnByName.TryGetValue(versionName, out var arn))
        {
            return arn;
        }

        var described = await DescribeProjectVersionsAsync([versionName], cancellationToken);
        return described.Count > 0
            ? described[0].ProjectVersionArn
            : throw new ModelNotRunningException($"There is no model version named '{versionName}' in the project.");
    }
}
