using System.Text.RegularExpressions;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using CustomLabels.Core.Aws;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Parameters.Aws;

/// <summary>
/// The parameters in AWS: SSM Parameter Store under <see cref="AwsOptions.ParameterPathPrefix"/>. A value is
/// checked against <see cref="ParameterCatalog"/> before it is written. SSM keeps every version; who changed a
/// value is written into that version's description (<c>[changed by …]</c>) and read back from it, falling back
/// to the IAM principal SSM records. EventBridge sees each write and starts the parameter branch in the cloud.
/// </summary>
public sealed partial class SsmParameterStore : IParameterStore
{
    private const int MaxDescriptionLength = 1024;

    private readonly IAmazonSimpleSystemsManagement _ssm;
    private readonly string _prefix;
    private readonly PipelineEvents _events;

    /// <summary>Creates the store over an SSM client.</summary>
    public SsmParameterStore(IAmazonSimpleSystemsManagement ssm, IOptions<AwsOptions> options, PipelineEvents events)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ssm = ssm;
        _prefix = options.Value.ParameterPathPrefix;
        _events = events;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ParameterValue>> GetAllAsync(CancellationToken cancellationToken = default)
    {
        var found = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        string? token = null;
        do
        {
            var page = await _ssm.GetParametersByPathAsync(
                new GetParametersByPathRequest { Path = _prefix, Recursive = false, NextToken = token, MaxResults = 10 },
                cancellationToken);
            foreach (var parameter in page.Parameters ?? [])
            {
                found[parameter.Name[_prefix.Length..]] = parameter;
            }

            token = page.NextToken;
        }
        while (!string.IsNullOrEmpty(token));

        return [.. ParameterCatalog.All.Select(d => found.TryGetValue(d.Name, out var p) ? ToValue(d.Name, p) : Default(d))];
    }

    /// <inheritdoc />
    public async Task<ParameterValue> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var definition = ParameterCatalog.Get(name);
        try
        {
            var answer = await _ssm.GetParameterAsync(new GetParameterRequest { Name = _prefix + name }, cancellationToken);
            return ToValue(name, answer.Parameter);
        }
        catch (ParameterNotFoundException)
        {
            return Default(definition);
        }
    }

    /// <inheritdoc />
    public async Task<ParameterValue> PutAsync(string name, string value, string changedBy, CancellationToken cancellationToken = default)
    {
        var definition = ParameterCatalog.Get(name);
        var normalized = definition.Normalize(value);
        var description = $"{definition.Description} [changed by {changedBy}]";
        var answer = await _ssm.PutParameterAsync(
            new PutParameterRequest
            {
                Name = _prefix + name,
                Value = normalized,
                Type = Amazon.SimpleSystemsManagement.ParameterType.String,
                Overwrite = true,
                Description = description.Length > MaxDescriptionLength ? description[..MaxDescriptionLength] : description,
                Tier = definition.Type == ParameterType.Json ? ParameterTier.IntelligentTiering : ParameterTier.Standard,
            },
            cancellationToken);
        _events.Publish(new PipelineEvent(PipelineEventKind.Parameter, name));
        return new ParameterValue(name, normalized, answer.Version ?? 0, DateTimeOffset.UtcNow);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ParameterChange>> GetHistoryAsync(string name, CancellationToken cancellationToken = default)
    {
        ParameterCatalog.Get(name);
        var versions = new List<ParameterHistory>();
        string? token = null;
        try
        {
            do
            {
                var page = await _ssm.GetParameterHistoryAsync(
                    new GetParameterHistoryRequest { Name = _prefix + name, NextToken = token, MaxResults = 50 },
                    cancellationToken);
                versions.AddRange(page.Parameters ?? []);
                token = page.NextToken;
            }
            while (!string.IsNullOrEmpty(token));
        }
        catch (ParameterNotFoundException)
        {
            return [];
        }

        var changes = new List<ParameterChange>(versions.Count);
        string? previous = null;
        foreach (var version in versions.OrderBy(v => v.Version))
        {
            changes.Add(new ParameterChange(
                name,
                version.Version ?? 0,
                previous,
                version.Value,
                ChangedByOf(version.Description) ?? version.LastModifiedUser ?? "unknown",
                ToOffset(version.LastModifiedDate)));
            previous = version.Value;
        }

        changes.Reverse();
        return changes;
    }

    /// <summary>Who a version's description says changed it, or null.</summary>
    internal static string? ChangedByOf(string? description) =>
        description is not null && ChangedByPattern().Match(description) is { Success: true } match ? match.Groups[1].Value : null;

    private static ParameterValue ToValue(string name, Parameter parameter) =>
        new(name, parameter.Value, parameter.Version ?? 0, ToOffset(parameter.LastModifiedDate));

    private static ParameterValue Default(ParameterDefinition definition) => new(definition.Name, definition.DefaultValue, 0, null);

    private static DateTimeOffset ToOffset(DateTime? time) =>
        time is { } t ? new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime()) : DateTimeOffset.UnixEpoch;

    [GeneratedRegex(@"\[changed by (.+)\]$")]
    private static partial Regex ChangedByPattern();
}
