/** The reference documentation's setUserProfile request for user `tom`, verbatim. */
export const referenceSetUserProfile = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:mgt="http://mgt.profile.user.identity.carbon.wso2.org" xmlns:xsd="http://mgt.profile.user.identity.carbon.wso2.org/xsd">
    <soapenv:Header/>
    <soapenv:Body>
        <mgt:setUserProfile>
            <mgt:username>tom</mgt:username>
            <mgt:profile>
                <xsd:fieldValues>
                    <xsd:claimUri>http://wso2.org/claims/identity/adminForcedPasswordReset</xsd:claimUri>
                    <xsd:fieldValue>true</xsd:fieldValue>
                </xsd:fieldValues>
                <xsd:profileName>default</xsd:profileName>
            </mgt:profile>
        </mgt:setUserProfile>
    </soapenv:Body>
</soapenv:Envelope>`
