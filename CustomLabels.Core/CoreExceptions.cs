namespace CustomLabels.Core;

/// <summary>
/// What a call names does not exist (a human loop, an execution, an object). Both backends throw the same subtypes;
/// the HTTP API answers 404.
/// </summary>
public abstract class NotFoundException(string message, Exception? inner = null) : KeyNotFoundException(message, inner);

/// <summary>
/// The call conflicts with the current state: a name that is taken, a loop that is no longer in progress. Both
/// backends throw the same subtypes; the HTTP API answers 409.
/// </summary>
public abstract class ConflictException(string message, Exception? inner = null) : InvalidOperationException(message, inner);

/// <summary>The request is not valid; the message says why. Both backends throw the same subtypes; the HTTP API answers 400.</summary>
public abstract class InvalidRequestException(string message, Exception? inner = null) : ArgumentException(message, inner);
