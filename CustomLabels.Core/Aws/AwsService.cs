namespace CustomLabels.Core.Aws;

/// <summary>The wire protocols of the services the product calls without their SDK packages.</summary>
public enum AwsProtocol
{
    /// <summary>awsJson1_0 / awsJson1_1: POST / with <c>X-Amz-Target: &lt;prefix&gt;.&lt;Operation&gt;</c>.</summary>
    Json,

    /// <summary>REST-JSON: the operation is the method and path; JSON bodies.</summary>
    RestJson,

    /// <summary>AWS Query: form-encoded <c>Action</c> and <c>Version</c>; XML answers.</summary>
    Query,
}

/// <summary>How to reach and sign for one service (as its botocore model's metadata says).</summary>
/// <param name="EndpointPrefix">The host's first labels: <c>&lt;prefix&gt;.&lt;region&gt;.amazonaws.com</c>.</param>
/// <param name="SigningName">The SigV4 service name.</param>
/// <param name="Protocol">The wire protocol.</param>
/// <param name="TargetPrefix">For <see cref="AwsProtocol.Json"/>: the X-Amz-Target prefix.</param>
/// <param name="JsonVersion">For <see cref="AwsProtocol.Json"/>: 1.0 or 1.1, in the content type.</param>
/// <param name="ApiVersion">For <see cref="AwsProtocol.Query"/>: the Version parameter.</param>
public sealed record AwsService(
    string EndpointPrefix,
    string SigningName,
    AwsProtocol Protocol,
    string? TargetPrefix = null,
    string? JsonVersion = null,
    string? ApiVersion = null)
{
    /// <summary>Amazon Rekognition (Custom Labels operations).</summary>
    public static AwsService Rekognition { get; } = new("rekognition", "rekognition", AwsProtocol.Json, "RekognitionService", "1.1");

    /// <summary>AWS Step Functions.</summary>
    public static AwsService StepFunctions { get; } = new("states", "states", AwsProtocol.Json, "AWSStepFunctions", "1.0");

    /// <summary>The Amazon Augmented AI runtime.</summary>
    public static AwsService A2IRuntime { get; } = new("a2i-runtime.sagemaker", "sagemaker", AwsProtocol.RestJson);

    /// <summary>Amazon EventBridge (the schedule rules).</summary>
    public static AwsService EventBridge { get; } = new("events", "events", AwsProtocol.Json, "AWSEvents", "1.1");

    /// <summary>Amazon SNS.</summary>
    public static AwsService Sns { get; } = new("sns", "sns", AwsProtocol.Query, ApiVersion: "2010-03-31");

    /// <summary>The public endpoint in a region.</summary>
    public Uri EndpointFor(string region) =>
        new($"https://{EndpointPrefix}.{region}.{(region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com")}/");
}
