using System.Net;
using CustomLabels.Core.Models;

namespace CustomLabels.Core.Aws;

/// <summary>An AWS service answered with an error that the product has no more specific exception for.</summary>
public class AwsServiceException(string errorCode, string message, HttpStatusCode statusCode, string? requestId = null)
    : Exception($"{errorCode}: {message}")
{
    /// <summary>The service's error code, e.g. <c>ThrottlingException</c>.</summary>
    public string ErrorCode { get; } = errorCode;

    /// <summary>The service's message, as sent.</summary>
    public string ServiceMessage { get; } = message;

    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode StatusCode { get; } = statusCode;

    /// <summary>The request id AWS gave the call, for support.</summary>
    public string? RequestId { get; } = requestId;
}

/// <summary>The named AWS resource does not exist (ResourceNotFoundException and its kin); HTTP 404.</summary>
public sealed class AwsResourceNotFoundException(string message, Exception? inner = null) : NotFoundException(message, inner);

/// <summary>The AWS resource is in a state that refuses the call (ConflictException, ResourceInUseException); HTTP 409.</summary>
public sealed class AwsConflictException(string message, Exception inner) : ConflictException(message, inner);

/// <summary>The service refused the request as not valid (ValidationException and its kin); HTTP 400.</summary>
public sealed class AwsInvalidRequestException(string message, Exception inner) : InvalidRequestException(message, inner);

/// <summary>Maps AWS error codes to the product's exceptions, so callers see the same errors in both backends.</summary>
public static class AwsErrors
{
    private static readonly HashSet<string> Throttling = new(StringComparer.Ordinal)
    {
        "ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
        "ProvisionedThroughputExceededException", "RequestThrottled", "RequestThrottledException", "SlowDown",
        "ServiceUnavailable", "ServiceUnavailableException", "InternalServerError", "InternalServerException",
        "InternalFailure", "InternalError", "ServiceException",

        // EventBridge: another call changed the rule at the same moment; SNS: the topic's KMS key is throttled.
        "ConcurrentModificationException", "KMSThrottling",
    };

    /// <summary>True when a call that failed with this code and status may succeed if tried again later.</summary>
    public static bool IsRetryable(string errorCode, HttpStatusCode statusCode) =>
        Throttling.Contains(errorCode) || statusCode == HttpStatusCode.TooManyRequests || (int)statusCode >= 500;

    /// <summary>The product's exception for a service error.</summary>
    public static Exception Map(AwsServiceException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var message = error.ServiceMessage;
        return error.ErrorCode switch
        {
            "ResourceNotReadyException" => new ModelNotRunningException(
                string.IsNullOrEmpty(message) ? "The model version is not running." : message),
            "InvalidImageFormatException" => new InvalidImageException(message, error),
            "ImageTooLargeException" => new Models.ImageTooLargeException(message),
            "ResourceNotFoundException" or "ExecutionDoesNotExist" or "StateMachineDoesNotExist" or "NotFound"
                or "ParameterNotFound" or "ParameterVersionNotFound" => new AwsResourceNotFoundException(message, error),
            "ConflictException" or "ResourceInUseException" or "ExecutionAlreadyExists" or "ConditionalCheckFailedException"
                => new AwsConflictException(message, error),
            "ValidationException" or "InvalidParameterException" or "InvalidParameterValueException" or "ParameterValueInvalid" or "InvalidArn"
                or "InvalidExecutionInput" or "InvalidName" or "InvalidToken" or "InvalidParameter" or "InvalidS3ObjectException"
                or "SerializationException" => new AwsInvalidRequestException(message, error),
            "AccessDeniedException" or "AccessDenied" or "AuthorizationError" or "UnrecognizedClientException"
                or "InvalidSignatureException" or "ExpiredTokenException" => new UnauthorizedAccessException(
                    $"{error.ErrorCode}: {message} Check the credentials and the policy of the role the dashboard runs as.", error),
            _ => error,
        };
    }
}
