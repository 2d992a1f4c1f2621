namespace CustomLabels.Core.Data;

/// <summary>A page token that the listing did not issue (HTTP 400).</summary>
public sealed class InvalidPageTokenException(string message) : InvalidRequestException(message);
