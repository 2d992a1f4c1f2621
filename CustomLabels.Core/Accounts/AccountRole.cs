using System.Text.Json.Serialization;

namespace CustomLabels.Core.Accounts;

/// <summary>
/// What a user or an API key may do. An Operator may do all that a Reviewer or a Consumer may; a Reviewer answers
/// the review queue; a Consumer sends images for detection.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<AccountRole>))]
public enum AccountRole
{
    /// <summary>Sends images for detection and reads its own detections.</summary>
    Consumer,

    /// <summary>Answers the review queue.</summary>
    Reviewer,

    /// <summary>Steers the pipeline: parameters, training images, versions, users and keys; and all the others may.</summary>
    Operator,
}

/// <summary>Role checks shared by every caller.</summary>
public static class AccountRoles
{
    /// <summary>The roles that grant what <paramref name="required"/> grants: itself and Operator.</summary>
    public static IReadOnlyList<AccountRole> Granting(AccountRole required) =>
        required == AccountRole.Operator ? [AccountRole.Operator] : [required, AccountRole.Operator];

    /// <summary>True when a holder of <paramref name="held"/> may do what <paramref name="required"/> may.</summary>
    public static bool Grants(this AccountRole held, AccountRole required) => held == required || held == AccountRole.Operator;

    /// <summary>Parses a role name, ignoring case.</summary>
    /// <exception cref="AccountValidationException">Not a role.</exception>
    public static AccountRole Parse(string? name) =>
        Enum.TryParse<AccountRole>(name, ignoreCase: true, out var role) && Enum.IsDefined(role) && !int.TryParse(name, out _)
            ? role
            : throw new AccountValidationException($"'{Storage.ObjectKey.Printable(name)}' is not a role; use Operator, Reviewer or Consumer.");
}
