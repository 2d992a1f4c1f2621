using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Aws;

/// <summary>
/// Checks the shapes that data annotations cannot: each ARN names the right service and resource type, lies in
/// the configured region, and the endpoint overrides are absolute URLs.
/// </summary>
public sealed partial class AwsOptionsValidator : IValidateOptions<AwsOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AwsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        CheckArn(failures, nameof(AwsOptions.StateMachineArn), options.StateMachineArn, options.Region, StateMachineArnPattern(),
            "arn:aws:states:<region>:<account>:stateMachine:<name>");
        CheckArn(failures, nameof(AwsOptions.ProjectArn), options.ProjectArn, options.Region, ProjectArnPattern(),
            "arn:aws:rekognition:<region>:<account>:project/<name>/<timestamp>");
        CheckArn(failures, nameof(AwsOptions.FlowDefinitionArn), options.FlowDefinitionArn, options.Region, FlowDefinitionArnPattern(),
            "arn:aws:sagemaker:<region>:<account>:flow-definition/<name>");
        if (!string.IsNullOrEmpty(options.TopicArn))
        {
            CheckArn(failures, nameof(AwsOptions.TopicArn), options.TopicArn, options.Region, TopicArnPattern(),
                "arn:aws:sns:<region>:<account>:<topic>");
        }

        foreach (var (service, url) in options.ServiceUrls.All())
        {
            if (!string.IsNullOrEmpty(url)
                && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)))
            {
                failures.Add($"CustomLabels:Aws:ServiceUrls:{service} must be an absolute http or https URL; '{url}' is not.");
            }
        }

        if (options.Retry.BaseDelay <= TimeSpan.Zero || options.Retry.MaxDelay < options.Retry.BaseDelay)
        {
            failures.Add("CustomLabels:Aws:Retry:BaseDelay must be positive and no larger than CustomLabels:Aws:Retry:MaxDelay.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The region named by an ARN (its fourth field), or null when it is not an ARN.</summary>
    public static string? RegionOf(string arn)
    {
        var parts = arn.Split(':');
        return parts.Length >= 6 && parts[0] == "arn" ? parts[3] : null;
    }

    private static void CheckArn(List<string> failures, string key, string value, string region, Regex pattern, string shape)
    {
        if (string.IsNullOrEmpty(value))
        {
            return; // data annotations report the missing value
        }

        if (!pattern.IsMatch(value))
        {
            failures.Add($"CustomLabels:Aws:{key} must look like {shape}; '{value}' does not.");
        }
        else if (!string.IsNullOrEmpty(region) && RegionOf(value) != region)
        {
            failures.Add($"CustomLabels:Aws:{key} is in region {RegionOf(value)}, but CustomLabels:Aws:Region is {region}.");
        }
    }

    [GeneratedRegex(@"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$")]
    private static partial Regex StateMachineArnPattern();

    [GeneratedRegex(@"^arn:aws[a-z-]*:rekognition:[a-z0-9-]+:\d{12}:project/[A-Za-z0-9_.-]{1,255}/\d{13}$")]
    private static partial Regex ProjectArnPattern();

    [GeneratedRegex(@"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:flow-definition/[a-z0-9](-*[a-z0-9]){0,62}$")]
    private static partial Regex FlowDefinitionArnPattern();

    [GeneratedRegex(@"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")]
    private static partial Regex TopicArnPattern();
}
