namespace CustomLabels.Web.Components;

/// <summary>Where the dashboard's sign-in and sign-out forms post (the cookie endpoints of the web host).</summary>
internal static class SignInEndpoints
{
    public const string SignInPath = "/account/sign-in";
    public const string SignOutPath = "/account/sign-out";
}
